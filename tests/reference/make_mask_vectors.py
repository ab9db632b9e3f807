#!/usr/bin/python3
"""OpenCV reference vectors for polygon masks and copy-paste (lib/data/masks, lib/data/copy_paste).

    /usr/bin/python3 tests/reference/make_mask_vectors.py [--out DIR]

Needs Debian's python3-opencv and python3-numpy (not needed to build or test: the output is committed). The pixels
are OpenCV's own cv2.fillPoly, cv2.drawContours, cv2.resize and cv2.flip; the rest is Ultralytics 8.4.117's
arithmetic written here in numpy from lib/data/masks.h and lib/data/copy_paste.h: polygon2mask (points cast to
int32, filled at full size, then resized down), polygons2masks, polygons2masks_overlap (areas sorted by np.argsort
of their negation, a running maximum of index + 1) and CopyPaste in mode "flip".

Copy-paste inputs are made from a formula, so the C test builds the same ones: pixel (x, y), channel c of a W x H
image is (3 x^2 + 17 y + 5 x y + 71 c) mod 256, row-major, channels last.

mask_pixels.safetensors, U8:
    fill.bits                   (cases, ceil(W H / 8)) each fill case's pixels that fillPoly set, np.packbits order
                                (row-major, the first pixel in the high bit of the first byte)
    set.<set>.overlap.<r>       (h // r, w // r) polygons2masks_overlap's mask of the set at downsample ratio r
    set.<set>.instances.<r>     (n, h // r, w // r) polygons2masks (colour 1), where the entry is small enough
    copy_paste.<case>           (H, W, 3) the case's image after CopyPaste
mask_polygons.safetensors, F32:
    fill.points                 (points, 2) every fill case's points, one case after another, as float32 pixels
    set.<set>.segments          (n, seg_points, 2) a set's polygons
    copy_paste.<labels>.boxes / .segments           a label set before CopyPaste (boxes x1 y1 x2 y2)
    copy_paste.<case>.boxes / .segments             the instances after it
__metadata__ of mask_polygons (strings holding JSON text):
    fill        {w, h, n [...], colour [...], kinds [[kind, count], ...]}: case i has n[i] points and is filled with
                colour[i] into a w x h mask of zeros; the kinds name the cases in runs, in order
    contours    pixels where cv2.drawContours(mask, [points], -1, colour, cv2.FILLED) differs from fillPoly, summed
                over the fill cases (0: copy-paste's drawContours is the same fill)
    sets        [{set, w, h, n, seg_points, ratios [{ratio, order, instances (entry or null), instances_sha256}]}]:
                order is polygons2masks_overlap's index, instances_sha256 that of polygons2masks' bytes
    copy_paste  [{case, labels, w, h, p, cls_in, cls_out, pasted}]: the label set's instances through CopyPaste(p)
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
FILL_W, FILL_H = 36, 28


def formula_image(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return ((3 * x * x + 17 * y + 5 * x * y + 71 * c) % 256).astype(np.uint8)


# ---- Ultralytics' formulas (ultralytics/data/utils.py, augment.py, utils/metrics.py), in numpy ------------------

def polygon2mask(imgsz, polygons, color=1, downsample_ratio=1):
    mask = np.zeros(imgsz, dtype=np.uint8)
    polygons = np.asarray(polygons, dtype=np.int32)
    polygons = polygons.reshape((polygons.shape[0], -1, 2))
    cv2.fillPoly(mask, polygons, color=color)
    nh, nw = (imgsz[0] // downsample_ratio, imgsz[1] // downsample_ratio)
    return cv2.resize(mask, (nw, nh))


def polygons2masks(imgsz, polygons, color, downsample_ratio=1):
    return np.array([polygon2mask(imgsz, [x.reshape(-1)], color, downsample_ratio) for x in polygons])


def polygons2masks_overlap(imgsz, segments, downsample_ratio=1):
    masks = np.zeros((imgsz[0] // downsample_ratio, imgsz[1] // downsample_ratio),
                     dtype=np.int32 if len(segments) > 255 else np.uint8)
    areas, ms = [], []
    for segment in segments:
        mask = polygon2mask(imgsz, [segment.reshape(-1)], downsample_ratio=downsample_ratio, color=1)
        ms.append(mask.astype(masks.dtype))
        areas.append(mask.sum())  # numpy's uint64: the negation below puts empty masks first
    areas = np.asarray(areas)
    index = np.argsort(-areas)
    ms = np.array(ms)[index]
    for i in range(len(segments)):
        np.maximum(masks, ms[i] * (i + 1), out=masks)
    return masks, index


def bbox_ioa(box1, box2, eps=1e-7):
    b1_x1, b1_y1, b1_x2, b1_y2 = box1.T
    b2_x1, b2_y1, b2_x2, b2_y2 = box2.T
    inter = (np.minimum(b1_x2[:, None], b2_x2) - np.maximum(b1_x1[:, None], b2_x1)).clip(0) * (
        np.minimum(b1_y2[:, None], b2_y2) - np.maximum(b1_y1[:, None], b2_y1)).clip(0)
    area = (b2_x2 - b2_x1) * (b2_y2 - b2_y1)
    return inter / (area + eps)


def copy_paste_flip(img, cls, boxes, segments, p):
    """CopyPaste(p, mode="flip"): the image's own instances mirrored left to right, those whose mirrored box covers
    under 0.30 of every box pasted, fewest-overlapping first, round(p n) of them."""
    if len(segments) == 0 or p == 0:
        return img, cls, boxes, segments
    h, w = img.shape[:2]
    boxes2 = boxes.copy()
    boxes2[:, 0], boxes2[:, 2] = w - boxes[:, 2], w - boxes[:, 0]
    segments2 = segments.copy()
    segments2[..., 0] = w - segments2[..., 0]
    ioa = bbox_ioa(boxes2, boxes)
    indexes = np.nonzero((ioa < 0.30).all(1))[0]
    n = len(indexes)
    indexes = indexes[np.argsort(ioa.max(1)[indexes])]
    selected = indexes[: round(p * n)]
    im_new = np.zeros((h, w), np.uint8)
    for j in selected:
        cv2.drawContours(im_new, segments2[[j]].astype(np.int32), -1, 1, cv2.FILLED)
    out = img.copy()
    flipped = cv2.flip(img, 1)
    pasted = im_new.astype(bool)
    out[pasted] = flipped[pasted]
    return (out, np.concatenate([cls, cls[selected]]), np.concatenate([boxes, boxes2[selected]]),
            np.concatenate([segments, segments2[selected]]))


# ---- fill cases -------------------------------------------------------------------------------------------------

def ring(rng, k, cx, cy, rx, ry, star=False):
    """k points around (cx, cy) in order of angle (a star alternates a long and a short radius)."""
    a = np.sort(rng.uniform(0, 2 * math.pi, k))
    r = np.where(np.arange(k) % 2 == 1, rng.uniform(0.2, 0.6, k), 1.0) if star else np.ones(k)
    return np.stack([cx + rx * r * np.cos(a), cy + ry * r * np.sin(a)], 1)


def fill_cases(rng):
    """(kind, points) pairs: convex, concave, self-intersecting, off the mask, degenerate, on the pixel grid."""
    w, h = FILL_W, FILL_H
    cases = []
    for _ in range(70):
        cases.append(("convex", ring(rng, rng.integers(3, 11), rng.uniform(-4, w + 4), rng.uniform(-4, h + 4),
                                     rng.uniform(1, 20), rng.uniform(1, 16))))
    for _ in range(60):
        cases.append(("concave", ring(rng, 2 * rng.integers(3, 7), rng.uniform(0, w), rng.uniform(0, h),
                                      rng.uniform(4, 22), rng.uniform(4, 18), star=True)))
    for _ in range(60):
        k = rng.integers(4, 13)
        cases.append(("self-intersecting", np.stack([rng.uniform(-6, w + 6, k), rng.uniform(-6, h + 6, k)], 1)))
    for _ in range(50):
        k = rng.integers(3, 9)
        spread = rng.choice([60.0, 300.0, 5000.0])
        cases.append(("off-canvas", np.stack([rng.uniform(-spread, w + spread, k), rng.uniform(-spread, h + spread, k)],
                                             1)))
    for _ in range(30):  # a triangle with one corner far outside: the clipped edges' slopes
        inner = np.stack([rng.uniform(0, w, 2), rng.uniform(0, h, 2)], 1)
        far = np.array([[rng.choice([-1, 1]) * rng.uniform(40, 3000), rng.choice([-1, 1]) * rng.uniform(40, 3000)]])
        cases.append(("off-canvas", np.concatenate([inner, far])))
    for _ in range(30):
        a = [rng.uniform(-3, w + 3), rng.uniform(-3, h + 3)]
        cases.append(("degenerate", np.array([a] * rng.integers(1, 7))))
    for _ in range(40):
        a, b = [rng.uniform(-5, w + 5), rng.uniform(-5, h + 5)], [rng.uniform(-5, w + 5), rng.uniform(-5, h + 5)]
        if rng.uniform() < 0.3:
            b[rng.integers(0, 2)] = a[0] if rng.uniform() < 0.5 else b[0]  # some horizontal or vertical
        k = rng.integers(2, 9)
        cases.append(("degenerate", np.array([a if i % 3 else b for i in range(k)])))
    for _ in range(20):  # collinear points, back and forth
        t = rng.uniform(-0.3, 1.3, rng.integers(3, 8))
        a, d = np.array([rng.uniform(0, w), rng.uniform(0, h)]), rng.uniform(-30, 30, 2)
        cases.append(("degenerate", a + t[:, None] * d))
    for _ in range(40):  # rectangles and small shapes on the integer grid, some touching x = w and y = h
        x1, y1 = rng.integers(-3, w), rng.integers(-3, h)
        x2, y2 = x1 + rng.integers(0, 14), y1 + rng.integers(0, 12)
        cases.append(("grid", np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], float)))
    for _ in range(20):  # fractions in (-1, 0): truncation, not floor, takes them to 0
        cases.append(("truncation", np.stack([rng.uniform(-0.99, 0, 4) + np.array([0, 12, 12, 0]),
                                              rng.uniform(-0.99, 0, 4) + np.array([0, 0, 9, 9])], 1)))
    return [(kind, np.asarray(points, F32)) for kind, points in cases]


# ---- mask sets ----------------------------------------------------------------------------------------------

def polygon_set(rng, n, k, w, h, size):
    return np.stack([ring(rng, k, rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, size), rng.uniform(1, size),
                          star=bool(i % 3 == 2)) for i in range(n)]).astype(F32)


def tie_set():
    """Squares of equal area (ties keep index order), tiny ones that vanish at ratio 4 (empty masks go first),
    one covering others: 9 instances of 4 points on 64 x 48."""
    squares = [(4, 4, 12), (40, 4, 12), (4, 28, 12), (40, 28, 12), (30, 30, 1), (50, 10, 0), (20, 20, 30),
               (60, 44, 1), (24, 6, 8)]
    return np.array([[[x, y], [x + s, y], [x + s, y + s], [x, y + s]] for x, y, s in squares], F32)


def many_set(rng):
    """20 polygons (more than numpy's insertion sort takes) with areas all different, on 96 x 80."""
    while True:
        segments = polygon_set(rng, 20, 10, 96, 80, 24)
        areas = [polygon2mask((80, 96), [s.reshape(-1)], 1, 4).sum() for s in segments]
        if len(set(areas)) == len(areas):
            return segments


# (name, w, h, segments, ratios, ratios whose per-instance masks are stored)
def mask_sets(rng):
    return [
        ("scene", 64, 48, polygon_set(rng, 8, 12, 64, 48, 20), (1, 2, 3, 4), (2, 3, 4)),
        ("odd", 63, 47, polygon_set(rng, 6, 9, 63, 47, 18), (2, 3, 4, 5), (4,)),
        ("ties", 64, 48, tie_set(), (4,), (4,)),
        ("many", 96, 80, many_set(rng), (4,), ()),
        ("large", 320, 256, polygon_set(rng, 12, 40, 320, 256, 90), (4,), ()),
    ]


# ---- copy-paste cases ---------------------------------------------------------------------------------------

def copy_paste_labels():
    """On 48 x 36: a square on the left (its mirror lands on empty ground), a blob across the middle (its mirror
    covers itself), a mirrored pair (each one's mirror covers the other), two small shapes that overlap others'
    mirrors a little, and a triangle near the right edge; 12 points each."""
    def square(x1, y1, x2, y2):
        top = np.linspace([x1, y1], [x2, y1], 3, endpoint=False)
        right = np.linspace([x2, y1], [x2, y2], 3, endpoint=False)
        bottom = np.linspace([x2, y2], [x1, y2], 3, endpoint=False)
        left = np.linspace([x1, y2], [x1, y1], 3, endpoint=False)
        return np.concatenate([top, right, bottom, left])

    a = np.arange(12) * 2 * math.pi / 12
    blob = np.stack([24 + 6 * np.cos(a), 8 + 4 * np.sin(a)], 1)
    tri = np.concatenate([np.linspace([40, 20], [46.5, 30], 4, endpoint=False),
                          np.linspace([46.5, 30], [37, 33.5], 4, endpoint=False),
                          np.linspace([37, 33.5], [40, 20], 4, endpoint=False)])
    segments = np.array([square(3, 3, 13.5, 12.25), blob, square(6, 18, 14, 26), square(34, 18, 42, 26),
                         square(17.5, 27, 21, 31.75), square(26, 14, 29.5, 17), tri], F32)
    boxes = np.concatenate([segments.min(1), segments.max(1)], 1)
    return np.array([3, 5, 1, 1, 7, 2, 4], F32), boxes, segments


COPY_PASTE = [("all", 1.0), ("half", 0.5), ("third", 0.34)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()
    rng = np.random.default_rng(20260107)

    images, floats = [], []
    counts, colours, kinds, bits, contours = [], [], [], [], 0
    for kind, points in fill_cases(rng):
        colour = int(rng.integers(1, 256))
        mask = np.zeros((FILL_H, FILL_W), np.uint8)
        ints = np.asarray([points.reshape(-1)], dtype=np.int32).reshape((1, -1, 2))
        cv2.fillPoly(mask, ints, color=colour)
        assert set(np.unique(mask)) <= {0, colour}
        drawn = np.zeros_like(mask)
        cv2.drawContours(drawn, ints, -1, colour, cv2.FILLED)
        contours += int((drawn != mask).sum())
        bits.append(np.packbits(mask.reshape(-1) != 0))
        counts.append(len(points))
        colours.append(colour)
        if kinds and kinds[-1][0] == kind:
            kinds[-1][1] += 1
        else:
            kinds.append([kind, 1])
        floats.append(points)
    floats = [("fill.points", np.concatenate(floats))]
    images.append(("fill.bits", np.stack(bits)))

    sets = []
    for name, w, h, segments, ratios, stored in mask_sets(rng):
        floats.append((f"set.{name}.segments", segments))
        entry = {"set": name, "w": w, "h": h, "n": len(segments), "seg_points": segments.shape[1], "ratios": []}
        for r in ratios:
            overlap, index = polygons2masks_overlap((h, w), segments, downsample_ratio=r)
            images.append((f"set.{name}.overlap.{r}", overlap))
            instances = polygons2masks((h, w), segments, color=1, downsample_ratio=r)
            stored_name = f"set.{name}.instances.{r}" if r in stored else None
            if stored_name:
                images.append((stored_name, instances))
            entry["ratios"].append({"ratio": r, "order": [int(i) for i in index], "instances": stored_name,
                                    "instances_sha256": hashlib.sha256(instances.tobytes()).hexdigest()})
        sets.append(entry)

    pastes = []
    cls, boxes, segments = copy_paste_labels()
    floats += [("copy_paste.labels.boxes", boxes), ("copy_paste.labels.segments", segments)]
    w, h = 48, 36
    for case, p in COPY_PASTE:
        img, cls2, boxes2, segments2 = copy_paste_flip(formula_image(w, h), cls, boxes, segments, p)
        images.append((f"copy_paste.{case}", img))
        floats += [(f"copy_paste.{case}.boxes", boxes2), (f"copy_paste.{case}.segments", segments2)]
        pastes.append({"case": case, "labels": "labels", "w": w, "h": h, "p": p, "cls_in": [int(c) for c in cls],
                       "cls_out": [int(c) for c in cls2], "pasted": len(cls2) - len(cls)})

    write_safetensors(os.path.join(args.out, "mask_pixels.safetensors"), images, {}, dtype="U8")
    fill = {"w": FILL_W, "h": FILL_H, "n": counts, "colour": colours, "kinds": kinds}
    metadata = {"fill": json.dumps(fill), "contours": json.dumps(contours), "sets": json.dumps(sets),
                "copy_paste": json.dumps(pastes), "opencv": json.dumps(cv2.__version__)}
    write_safetensors(os.path.join(args.out, "mask_polygons.safetensors"), floats, metadata, dtype="F32")
    for name in ("mask_pixels", "mask_polygons"):
        path = os.path.join(args.out, name + ".safetensors")
        print(path, os.path.getsize(path), "bytes")
    print("fill cases", len(counts), kinds, "drawContours differs from fillPoly at", contours, "pixels")
    for entry in sets:
        print(entry["set"], [(r["ratio"], r["order"]) for r in entry["ratios"]])
    for entry in pastes:
        print("copy_paste", entry["case"], "pasted", entry["pasted"], entry["cls_out"])


if __name__ == "__main__":
    main()
