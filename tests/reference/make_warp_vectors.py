#!/usr/bin/python3
"""OpenCV reference vectors for RandomPerspective's warps and labels (lib/data/perspective).

    /usr/bin/python3 tests/reference/make_warp_vectors.py [--out DIR]

Needs Debian's python3-opencv and python3-numpy (not needed to build or test: the output is committed). The map and
the label rules are Ultralytics' RandomPerspective as ../shared/reference/yolo26.md section 5.7 and
lib/data/perspective.h state them, written here in numpy; the pixels are OpenCV's own cv2.warpAffine and
cv2.warpPerspective (INTER_LINEAR, borderValue 114), the polygons' corner test its cv2.pointPolygonTest.

Inputs are made from a formula, so the C test builds the same ones: pixel (x, y), channel c of a W x H image is
(3 x^2 + 17 y + 5 x y + 71 c) mod 256, row-major, channels last.

warp_opencv.safetensors, U8, shape (H, W, 3):
    input.<W>x<H>           the formula's image (a check that both sides build the same one)
    warp.<case>             the case's input warped into its output size
warp_matrices.safetensors, F32:
    matrix.<case>           (3, 3) the float32 map handed to OpenCV, every case
    labels.<set>.in.boxes / .segments / .keypoints       the instances of a label set before the map
    labels.<set>.<map>.boxes / .segments / .keypoints    the kept instances after it
__metadata__ of warp_matrices (strings holding JSON text):
    cases       [{name, in [W, H], out [w, h], projective, draws (null, or {params, u, s}), image (entry name or
                  null), sha256 (of the output's bytes where no image is stored: the large cases, else null)}]
                draws: params {degrees, translate, scale, shear, perspective} and the eight uniforms u that
                ul_perspective_warp turns into the matrix (ul_random_unit's values), s the zoom they give
    labels      [{set, seg_points, kpt_count, n, maps [{map, case, kept [indices]}]}]: each set's instances through
                the matrices of the named cases, clipped to the case's output and filtered by box_candidates
    opencv      cv2.__version__
"""
import argparse
import hashlib
import json
import math
import os

import cv2
import numpy as np

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32
GREY = (114, 114, 114)


def formula_image(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return ((3 * x * x + 17 * y + 5 * x * y + 71 * c) % 256).astype(np.uint8)


def uniform(a, b, u):
    return a + (b - a) * u


def random_perspective_matrix(params, in_size, out_size, u):
    """M = T S R P C from draws u[0..7], float32 factors multiplied by numpy, as RandomPerspective builds it."""
    centre, persp, rot, shear, trans = (np.eye(3, dtype=F32) for _ in range(5))
    centre[0, 2], centre[1, 2] = -in_size[0] / 2, -in_size[1] / 2
    p = params["perspective"]
    persp[2, 0], persp[2, 1] = uniform(-p, p, u[0]), uniform(-p, p, u[1])
    angle = uniform(-params["degrees"], params["degrees"], u[2])
    s = uniform(1 - params["scale"], 1 + params["scale"], u[3])
    rot[:2] = cv2.getRotationMatrix2D(angle=angle, center=(0, 0), scale=s)
    sh = params["shear"]
    shear[0, 1] = math.tan(uniform(-sh, sh, u[4]) * math.pi / 180)
    shear[1, 0] = math.tan(uniform(-sh, sh, u[5]) * math.pi / 180)
    t = params["translate"]
    trans[0, 2] = uniform(0.5 - t, 0.5 + t, u[6]) * out_size[0]
    trans[1, 2] = uniform(0.5 - t, 0.5 + t, u[7]) * out_size[1]
    return trans @ shear @ rot @ persp @ centre, s


def about_centre(size, angle, scale, shear=(0.0, 0.0), shift=(0.0, 0.0), persp=(0.0, 0.0)):
    """A hand-made map about the image centre (what the fixed cases use), float32."""
    w, h = size
    m = np.eye(3)
    m[:2] = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m = np.array([[1, shear[0], shift[0]], [shear[1], 1, shift[1]], [persp[0], persp[1], 1]]) @ m
    return m.astype(F32)


DEFAULTS = {"degrees": 0.0, "translate": 0.1, "scale": 0.5, "shear": 0.0, "perspective": 0.0}
WILD = {"degrees": 30.0, "translate": 0.2, "scale": 0.6, "shear": 8.0, "perspective": 0.0}
PROJECTIVE = {"degrees": 20.0, "translate": 0.1, "scale": 0.4, "shear": 5.0, "perspective": 0.002}
MOSAIC_PROJECTIVE = {"degrees": 5.0, "translate": 0.1, "scale": 0.5, "shear": 2.0, "perspective": 0.0005}

# the eight uniforms of each drawn case: fixed, so both sides start from the same numbers
DRAWS = [
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [0.1234, 0.9876, 0.0625, 0.8125, 0.3, 0.71, 0.05, 0.95],
    [0.999, 0.001, 0.9, 0.02, 0.6, 0.4, 0.77, 0.23],
    [0.25, 0.75, 0.33, 0.66, 0.45, 0.55, 0.15, 0.85],
]

# (name, input (W, H), output (w, h), projective, matrix or (params, draws index), store the image)
CASES = [
    ("translate", (40, 30), (40, 30), False, np.array([[1, 0, 3.25], [0, 1, -2.5], [0, 0, 1]], F32), True),
    ("translate_out", (40, 30), (48, 36), False, np.array([[1, 0, -30.5], [0, 1, 20.125], [0, 0, 1]], F32), True),
    ("rotate_scale", (40, 30), (40, 30), False, about_centre((40, 30), 30, 0.8), True),
    ("rotate_zoom", (40, 30), (40, 30), False, about_centre((40, 30), -100, 1.7), True),
    ("shear", (40, 30), (40, 30), False, about_centre((40, 30), 0, 1.0, shear=(0.3, -0.2), shift=(-4, 5)), True),
    ("perspective", (64, 48), (100, 40), True,
     about_centre((64, 48), 15, 1.1, shift=(20, -6), persp=(0.004, -0.003)), True),
    ("perspective_tiles", (64, 48), (200, 20), True,
     about_centre((64, 48), -10, 0.9, shear=(0.1, 0), shift=(60, -10), persp=(-0.002, 0.006)), True),
    ("mosaic_crop", (64, 48), (32, 32), False,
     np.array([[1, 0, 16], [0, 1, 16], [0, 0, 1]], F32) @ about_centre((0, 0), 12, 1.2)
     @ np.array([[1, 0, -32], [0, 1, -24], [0, 0, 1]], F32), True),
    ("drawn_default", (64, 48), (64, 48), False, (DEFAULTS, 1), True),
    ("drawn_wild", (64, 48), (48, 48), False, (WILD, 2), True),
    ("drawn_centre", (64, 48), (64, 48), False, (WILD, 0), True),
    ("drawn_projective", (64, 48), (80, 60), True, (PROJECTIVE, 3), True),
    ("drawn_projective_b", (64, 48), (64, 48), True, (PROJECTIVE, 1), True),
    ("mosaic_640", (1280, 1280), (640, 640), False, (DEFAULTS, 2), False),
    ("mosaic_640_wild", (1280, 1280), (640, 640), False, (WILD, 3), False),
    ("mosaic_640_projective", (1280, 1280), (640, 640), True, (MOSAIC_PROJECTIVE, 1), False),
]


def warp(img, m, out_size, projective):
    if projective:
        return cv2.warpPerspective(img, m, dsize=out_size, borderValue=GREY)
    return cv2.warpAffine(img, m[:2], dsize=out_size, borderValue=GREY)


# ---- labels -----------------------------------------------------------------------------------------------------

def through(m, xy):
    """Points (n, 2) float32 as rows (x, y, 1) times M.T, float32, numpy's matmul."""
    rows = np.ones((len(xy), 3), F32)
    rows[:, :2] = xy
    return rows @ m.T


def polygon_box(seg, w, h):
    """The box of a polygon's part in the w x h frame: its points inside, its edges' crossings with the frame's
    four sides, and the frame's corners inside it (cv2.pointPolygonTest >= 0); all points when none is outside."""
    lo, hi = seg.min(0), seg.max(0)
    if lo[0] >= 0 and lo[1] >= 0 and hi[0] <= w and hi[1] <= h:
        return np.concatenate([lo, hi])
    inside = (seg[:, 0] >= 0) & (seg[:, 1] >= 0) & (seg[:, 0] <= w) & (seg[:, 1] <= h)
    found = [seg[inside]]
    step = np.roll(seg, -1, axis=0) - seg
    for axis, side, other_max in ((0, 0, h), (0, w, h), (1, 0, w), (1, h, w)):
        with np.errstate(divide="ignore", invalid="ignore"):  # an edge along the side: t infinite or NaN
            t = (F32(side) - seg[:, axis]) / step[:, axis]
            cross = seg + t[:, None] * step
        other = cross[:, 1 - axis]
        found.append(cross[(t >= 0) & (t <= 1) & (other >= 0) & (other <= other_max)])
    for corner in ((0, 0), (w, 0), (0, h), (w, h)):
        if cv2.pointPolygonTest(seg.astype(F32), (float(corner[0]), float(corner[1])), False) >= 0:
            found.append(np.array([corner], F32))
    points = np.concatenate(found)
    return np.concatenate([points.min(0), points.max(0)]).astype(F32) if len(points) else np.zeros(4, F32)


def map_labels(boxes, segments, keypoints, m, s, out_size, projective):
    """The instances through M, clipped, filtered: (kept indices, boxes, segments, keypoints)."""
    w, h = out_size
    n = len(boxes)
    corners = boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(-1, 2)
    xyw = through(m, corners)
    xy = (xyw[:, :2] / xyw[:, 2:3] if projective else xyw[:, :2]).reshape(n, 4, 2)
    new = np.concatenate([xy.min(1), xy.max(1)], 1).astype(F32)
    if segments is not None:
        xyw = through(m, segments.reshape(-1, 2))
        segments = (xyw[:, :2] / xyw[:, 2:3]).reshape(segments.shape)
        new = np.stack([polygon_box(seg, w, h) for seg in segments])
        segments[..., 0] = segments[..., 0].clip(new[:, 0:1], new[:, 2:3])
        segments[..., 1] = segments[..., 1].clip(new[:, 1:2], new[:, 3:4])
        segments[..., 0] = segments[..., 0].clip(0, w)
        segments[..., 1] = segments[..., 1].clip(0, h)
    if keypoints is not None:
        xyw = through(m, keypoints[..., :2].reshape(-1, 2))
        kxy = (xyw[:, :2] / xyw[:, 2:3]).reshape(keypoints.shape[:2] + (2,))
        vis = keypoints[..., 2].copy()
        vis[(kxy[..., 0] < 0) | (kxy[..., 1] < 0) | (kxy[..., 0] > w) | (kxy[..., 1] > h)] = 0
        kxy[..., 0], kxy[..., 1] = kxy[..., 0].clip(0, w), kxy[..., 1].clip(0, h)
        keypoints = np.concatenate([kxy, vis[..., None]], -1).astype(F32)
    new[:, [0, 2]] = new[:, [0, 2]].clip(0, w)
    new[:, [1, 3]] = new[:, [1, 3]].clip(0, h)
    # box_candidates, float32 throughout: the old boxes scaled by s, eps 1e-16
    old = boxes * F32(s)
    w1, h1 = old[:, 2] - old[:, 0], old[:, 3] - old[:, 1]
    w2, h2 = new[:, 2] - new[:, 0], new[:, 3] - new[:, 1]
    eps = F32(1e-16)
    ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    area_thr = F32(0.01 if segments is not None else 0.1)
    keep = (w2 > 2) & (h2 > 2) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < 100)
    kept = [int(i) for i in np.flatnonzero(keep)]
    return (kept, new[keep], None if segments is None else segments[keep],
            None if keypoints is None else keypoints[keep])


def label_set():
    """Instances on a 64 x 48 image: 8-point polygons (a rotated square, a triangle with doubled points, a thin
    sliver, one near a corner, one off the image's edge), their boxes, and 3 keypoints each."""
    polygons = []
    for cx, cy, r, turn in ((20, 16, 9, 0.3), (44, 30, 12, 1.1), (60, 40, 7, 0.0), (5, 44, 6, 2.0), (32, 24, 20, 0.7)):
        a = turn + np.arange(8) * 2 * math.pi / 8
        polygons.append(np.stack([cx + r * np.cos(a), cy + r * np.sin(a) * 0.8], 1))
    polygons.append(np.array([[10, 30], [10, 30], [24, 44], [24, 44], [2, 46], [2, 46], [6, 38], [6, 38]], float))
    polygons.append(np.array([[30, 2], [50, 3], [50, 3.6], [30, 2.6], [30, 2.6], [30, 2.6], [30, 2.6], [30, 2.6]]))
    segments = np.array(polygons, F32)
    boxes = np.concatenate([segments.min(1), segments.max(1)], 1)
    keypoints = np.concatenate([segments[:, [0, 2, 5]], np.full((len(segments), 3, 1), 2, F32)], -1)
    return boxes, segments, keypoints


# label sets: (name, with polygons); maps: (map name, case name)
LABEL_SETS = [("polygons", True), ("boxes", False)]
LABEL_MAPS = [("drawn_wild", "drawn_wild"), ("drawn_projective", "drawn_projective"), ("zoom", "rotate_zoom_labels"),
              ("crop", "mosaic_crop")]
LABEL_CASES = [("rotate_zoom_labels", (64, 48), (64, 48), False, about_centre((64, 48), 35, 1.9), False)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()

    images, floats, cases, matrix_of = [], [], [], {}
    inputs = {}
    for name, in_size, out_size, projective, how, store in CASES + LABEL_CASES:
        if in_size not in inputs:
            inputs[in_size] = formula_image(*in_size)
            if in_size[0] < 100:
                images.append((f"input.{in_size[0]}x{in_size[1]}", inputs[in_size]))
        draws = None
        if isinstance(how, tuple):
            params, k = how
            m, s = random_perspective_matrix(params, in_size, out_size, DRAWS[k])
            draws = {"params": params, "u": DRAWS[k], "s": s}
        else:
            m, s = how, 1.0
        assert m.dtype == F32
        matrix_of[name] = (m, s, out_size, projective)
        floats.append((f"matrix.{name}", m))
        out = warp(inputs[in_size], m, out_size, projective)
        image = f"warp.{name}" if store else None
        if store:
            images.append((image, out))
        sha = None if store else hashlib.sha256(out.tobytes()).hexdigest()
        cases.append({"name": name, "in": list(in_size), "out": list(out_size), "projective": projective,
                      "draws": draws, "image": image, "sha256": sha})

    labels = []
    boxes, segments, keypoints = label_set()
    for set_name, with_polygons in LABEL_SETS:
        seg = segments if with_polygons else None
        prefix = f"labels.{set_name}"
        floats += [(f"{prefix}.in.boxes", boxes), (f"{prefix}.in.keypoints", keypoints)]
        if with_polygons:
            floats.append((f"{prefix}.in.segments", segments))
        maps = []
        for map_name, case in LABEL_MAPS:
            m, s, out_size, projective = matrix_of[case]
            kept, b, sg, kp = map_labels(boxes.copy(), None if seg is None else seg.copy(), keypoints.copy(), m, s,
                                         out_size, projective)
            floats += [(f"{prefix}.{map_name}.boxes", b), (f"{prefix}.{map_name}.keypoints", kp)]
            if with_polygons:
                floats.append((f"{prefix}.{map_name}.segments", sg))
            maps.append({"map": map_name, "case": case, "kept": kept})
        labels.append({"set": set_name, "seg_points": segments.shape[1] if with_polygons else 0,
                       "kpt_count": keypoints.shape[1], "n": len(boxes), "maps": maps})

    write_safetensors(os.path.join(args.out, "warp_opencv.safetensors"), images, {}, dtype="U8")
    metadata = {"cases": json.dumps(cases), "labels": json.dumps(labels), "opencv": json.dumps(cv2.__version__)}
    write_safetensors(os.path.join(args.out, "warp_matrices.safetensors"), floats, metadata, dtype="F32")
    for name in ("warp_opencv", "warp_matrices"):
        path = os.path.join(args.out, name + ".safetensors")
        print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
