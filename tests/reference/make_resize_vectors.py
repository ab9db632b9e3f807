#!/usr/bin/python3
"""OpenCV reference vectors for the resize and the letterbox (lib/data/letterbox), and for decoding real images.

    /usr/bin/python3 tests/reference/make_resize_vectors.py [--out DIR] [--datasets DIR]

Needs Debian's python3-opencv and python3-numpy (not needed to build or test: the output is committed). Ultralytics
reads images with cv2.imdecode(IMREAD_COLOR) and resizes them with cv2.resize(INTER_LINEAR); the letterbox and the
long-side sizes are its arithmetic, written here from ../shared/reference/yolo26.md section 5.7 and the notes in
lib/data/letterbox.h. Writes tests/reference/vectors/resize_opencv.safetensors.

Inputs are made from a formula, so the C test builds the same ones: pixel (x, y), channel c of a W x H image is
(3 x^2 + 17 y + 5 x y + 71 c) mod 256, row-major, channels last (R, G, B, though nothing here cares which).

Entries, every one U8 (safetensors dtype "U8"), shape (H, W, 3):
    input.<W>x<H>                       the formula's image (a check that both sides build the same one)
    resize.<W>x<H>.<w>x<h>              cv2.resize(input.<W>x<H>, (w, h), interpolation=INTER_LINEAR)
    letterbox.<i>                       letterbox case i (below) applied to input.37x23, where it has an image
__metadata__ (strings holding JSON text):
    formula                             the formula above, in words
    resize                              [[W, H, w, h], ...] the resize entries
    letterbox                           [{shape [h, w], new_shape [h, w], scaleup, ratio, new_unpad [w, h],
                                          pad [left, top, right, bottom], image (entry name or null),
                                          boxes_in [[cx, cy, w, h] normalised], boxes_out [[cx, cy, w, h] pixels]}]
    load_image                          [{shape [h0, w0], imgsz, size [h, w]}]: the long side to imgsz
    coco8                               [{file, size [w, h], rgb_sha256, load_224 {size [w, h], sha256}}], with
                                        --datasets: SHA-256 of cv2.imdecode's pixels as RGB bytes (H, W, 3), and of
                                        the image with its long side resized to 224 (INTER_LINEAR)
    opencv                              cv2.__version__
"""
import argparse
import glob
import hashlib
import json
import math
import os

import cv2
import numpy as np

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))

RESIZE = [
    (37, 23, 64, 40), (37, 23, 50, 31), (37, 23, 20, 13), (37, 23, 18, 11), (37, 23, 74, 46),
    (37, 23, 5, 80), (37, 23, 111, 7), (37, 23, 1, 1), (37, 23, 37, 23), (37, 23, 36, 23), (37, 23, 37, 60),
    (38, 24, 19, 12), (38, 24, 19, 24), (38, 24, 13, 8),
]

# (shape (h, w), new_shape (h, w), scaleup, whether to store the image: only for shape (23, 37))
LETTERBOX = [
    ((23, 37), (32, 32), True, True), ((23, 37), (64, 48), True, True), ((23, 37), (40, 64), False, True),
    ((23, 37), (30, 45), True, True), ((23, 37), (16, 16), True, True),
    ((480, 640), (640, 640), True, False), ((427, 640), (640, 640), True, False),
    ((1080, 1920), (384, 640), False, False), ((375, 500), (640, 640), False, False),
    ((500, 375), (640, 640), True, False), ((101, 47), (64, 96), True, False), ((333, 1001), (640, 640), True, False),
    ((10, 5), (5, 5), True, False), ((10, 7), (5, 5), True, False),
]
BOXES = [[0.5, 0.5, 1.0, 1.0], [0.1, 0.2, 0.05, 0.1], [0.9, 0.75, 0.2, 0.3]]

# (h0, w0, imgsz); 75 x 100 at 224 and 100 x 147 at 640 are where float64 rounding moves a ceil
LOAD_IMAGE = [(23, 37, 64), (480, 640, 640), (75, 100, 224), (100, 147, 640), (1000, 750, 640), (427, 640, 320),
              (1080, 1920, 640)]


def formula_image(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return ((3 * x * x + 17 * y + 5 * x * y + 71 * c) % 256).astype(np.uint8)


def letterbox_plan(shape, new_shape, scaleup):
    """Ultralytics' LetterBox with auto, scale_fill off and the image centred (Python's round: half to even)."""
    r = min(new_shape[0] / shape[0], new_shape[1] / shape[1])
    if not scaleup:
        r = min(r, 1.0)
    new_unpad = (round(shape[1] * r), round(shape[0] * r))
    dw, dh = (new_shape[1] - new_unpad[0]) / 2, (new_shape[0] - new_unpad[1]) / 2
    pad = (round(dw - 0.1), round(dh - 0.1), round(dw + 0.1), round(dh + 0.1))
    return r, new_unpad, pad


def letterbox_image(img, new_unpad, pad):
    if img.shape[1::-1] != new_unpad:
        img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
    left, top, right, bottom = pad
    return cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))


def map_boxes(boxes, shape, r, pad):
    """Normalised xywh to letterboxed pixels the way Ultralytics' labels go: float32 corners, scaled by the image
    size, then by r, then shifted by (left, top); given back as centre and size."""
    b = np.array(boxes, np.float32)
    xyxy = np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)
    xyxy *= np.array([shape[1], shape[0]] * 2, np.float32)
    xyxy *= np.float32(r)
    xyxy += np.array([pad[0], pad[1]] * 2, np.float32)
    return np.concatenate([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], 1).tolist()


def load_size(h0, w0, imgsz):
    r = imgsz / max(h0, w0)
    return (min(math.ceil(h0 * r), imgsz), min(math.ceil(w0 * r), imgsz)) if r != 1 else (h0, w0)


def coco8(datasets):
    out = []
    for path in sorted(glob.glob(os.path.join(datasets, "coco8", "images", "*", "*.jpg"))):
        bgr = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
        rgb = np.ascontiguousarray(bgr[..., ::-1])
        h, w = load_size(rgb.shape[0], rgb.shape[1], 224)
        small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)
        out.append({
            "file": os.path.relpath(path, datasets),
            "size": [rgb.shape[1], rgb.shape[0]],
            "rgb_sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
            "load_224": {"size": [w, h], "sha256": hashlib.sha256(small.tobytes()).hexdigest()},
        })
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    parser.add_argument("--datasets", default=os.path.join(HERE, "..", "..", "..", "shared", "datasets"))
    args = parser.parse_args()

    inputs = {(w, h): formula_image(w, h) for w, h in {(c[0], c[1]) for c in RESIZE}}
    tensors = [(f"input.{w}x{h}", img) for (w, h), img in sorted(inputs.items())]
    for sw, sh, dw, dh in RESIZE:
        out = cv2.resize(inputs[(sw, sh)], (dw, dh), interpolation=cv2.INTER_LINEAR).reshape(dh, dw, 3)
        tensors.append((f"resize.{sw}x{sh}.{dw}x{dh}", out))

    letterbox = []
    for i, (shape, new_shape, scaleup, store) in enumerate(LETTERBOX):
        r, new_unpad, pad = letterbox_plan(shape, new_shape, scaleup)
        name = f"letterbox.{i}" if store else None
        if store:
            tensors.append((name, letterbox_image(inputs[(shape[1], shape[0])], new_unpad, pad)))
        letterbox.append({"shape": list(shape), "new_shape": list(new_shape), "scaleup": scaleup, "ratio": r,
                          "new_unpad": list(new_unpad), "pad": list(pad), "image": name, "boxes_in": BOXES,
                          "boxes_out": map_boxes(BOXES, shape, r, pad)})

    metadata = {
        "formula": json.dumps("pixel (x, y), channel c = (3 x^2 + 17 y + 5 x y + 71 c) mod 256, HWC"),
        "resize": json.dumps([list(c) for c in RESIZE]),
        "letterbox": json.dumps(letterbox),
        "load_image": json.dumps([{"shape": [h0, w0], "imgsz": s, "size": list(load_size(h0, w0, s))}
                                  for h0, w0, s in LOAD_IMAGE]),
        "coco8": json.dumps(coco8(args.datasets) if os.path.isdir(args.datasets) else []),
        "opencv": json.dumps(cv2.__version__),
    }
    path = os.path.join(args.out, "resize_opencv.safetensors")
    write_safetensors(path, tensors, metadata, dtype="U8")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
