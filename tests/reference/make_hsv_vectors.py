#!/usr/bin/python3
"""OpenCV reference vectors for the HSV conversions and Ultralytics' RandomHSV (lib/data/hsv).

    /usr/bin/python3 tests/reference/make_hsv_vectors.py [--out DIR]

Needs Debian's python3-opencv and python3-numpy (not needed to build or test: the output is committed), on an x86
machine with AVX2: OpenCV's vector HSV2BGR, which truncates where its scalar code rounds, then takes each row's pixels
in blocks of 32 (the script checks it does). Writes tests/reference/vectors/hsv_opencv.safetensors.

The conversions are checked on every byte triple. The "every triple" image holds pixel a = 0 .. 2^24 - 1 as the
channels (a >> 16, (a >> 8) & 255, a & 255), row-major; it is too big to store, so each conversion's output is stored
as the SHA-256 of each of its 256 planes (plane k: the 65536 pixels whose first channel is k, 196608 bytes).

RandomHSV is Ultralytics' (augment.py, 8.4.117), given its three drawn gains r instead of drawing them: lookup tables
over x = 0 .. 255 in float64, hue (x + r_h 180) mod 180, saturation clip(x (1 + r_s), 0, 255) with entry 0 set to 0,
value clip(x (1 + r_v), 0, 255), each cast to uint8; applied between cv2.cvtColor BGR2HSV and HSV2BGR.

Entries, every one U8, images (H, W, 3) in RGB order:
    rgb2hsv.planes          (256, 32) digests: the every-triple image as RGB, 4096 x 4096, to HSV
    hsv2rgb.blocks.planes   (256, 32) digests: the every-triple image as HSV, 4096 x 4096 (every pixel in a block), to RGB
    hsv2rgb.tail.planes     (256, 32) digests: the same in rows of 16 pixels (every pixel past the blocks), to RGB
    input.<name>            a RandomHSV input: "noise" (64 x 40, uniform random) and "ramp" (56 x 24: 32 pixels of
                            blocks and a tail of 24 per row, so blocks of 16 would not fit; smooth colours, reds
                            whose hue turned 180 by case 4 shows, and grey, white and black pixels)
    output.<name>.<i>       RandomHSV of input.<name> with the gains of case i
__metadata__ (strings holding JSON text):
    cases                   [[r_h, r_s, r_v], ...]
    images                  ["noise", "ramp"]
    opencv                  cv2.__version__
"""
import argparse
import hashlib
import json
import os

import cv2
import numpy as np

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    (0.0, 0.0, 0.0),          # the round trip alone: the conversions are not lossless
    (0.0123, -0.55, 0.31),    # gains the size of the defaults (hsv_h 0.015, hsv_s 0.7, hsv_v 0.4)
    (-0.015, 0.7, -0.4),      # the defaults' extremes
    (0.5, -1.0, 1.0),         # every saturation 0; values doubled and clipped
    (-1e-17, 0.25, -0.1),     # hue entry 0 is a hair below 0, so 180 after the modulo; 1 .. 31 a hair below
                              # themselves, so one less once truncated
    (-0.37, 0.9, -0.9),
]


def every_triple():
    a = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([a >> 16, (a >> 8) & 255, a & 255], -1).astype(np.uint8)


def plane_digests(pixels):
    planes = pixels.reshape(256, -1)
    return np.array([list(hashlib.sha256(p.tobytes()).digest()) for p in planes], np.uint8)


def hsv_to_rgb(hsv, width):
    bgr = cv2.cvtColor(np.ascontiguousarray(hsv.reshape(-1, width, 3)), cv2.COLOR_HSV2BGR)
    return bgr[..., ::-1].reshape(-1, 3)


def hsv_tables(r):
    """RandomHSV's three tables (hue, saturation, value) for the gains r already drawn."""
    x = np.arange(256, dtype=np.float64)
    hue = ((x + 180 * r[0]) % 180).astype(np.uint8)
    sat, val = (np.clip(x * (1 + g), 0, 255).astype(np.uint8) for g in r[1:])
    sat[0] = 0  # as Ultralytics sets it (already 0)
    return hue, sat, val


def random_hsv(rgb, tables):
    """RandomHSV with those tables on the BGR version of rgb: cv2's HSV, each channel through its table, and back."""
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    for c in range(3):
        hsv[..., c] = tables[c][hsv[..., c]]
    return np.ascontiguousarray(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[..., ::-1])


def reds_hue_180_shows():
    """Reds (hue 0) that come out otherwise when case 4's hue table sends 0 to 180 than when it would send it to 0:
    only OpenCV's blocks see the difference, and only at some saturations and values."""
    v, d = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    keep = d <= v
    reds = np.stack([v[keep], v[keep] - d[keep], v[keep] - d[keep]], -1).astype(np.uint8)
    reds = reds[: len(reds) // 32 * 32].reshape(-1, 32, 3)
    tables = hsv_tables(CASES[4])
    if tables[0][0] != 180:
        raise SystemExit("case 4 no longer gives hue 180")
    hue_0 = tables[0].copy()
    hue_0[0] = 0
    differ = (random_hsv(reds, tables) != random_hsv(reds, (hue_0, *tables[1:]))).any(-1)
    return reds[differ]


def ramp():
    y, x = np.meshgrid(np.arange(24), np.arange(56), indexing="ij")
    img = np.stack([x * 255 // 55, y * 255 // 23, (x + y) * 11 % 256], -1)
    grey = x % 5 == 0
    img[grey] = (y[grey] * 255 // 23)[:, None]
    img[0, :8], img[1, :8] = 255, 0
    reds = reds_hue_180_shows()
    img[2:6, :32] = reds[np.linspace(0, len(reds) - 1, 128).astype(int)].reshape(4, 32, 3)
    return img.astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()
    triples = every_triple()
    blocks, tail = hsv_to_rgb(triples, 4096), hsv_to_rgb(triples, 16)
    n = (1 << 24) // 48 * 48
    in_rows_of_48 = hsv_to_rgb(triples[:n], 48).reshape(-1, 48, 3)
    if not ((in_rows_of_48[:, :32] == blocks[:n].reshape(-1, 48, 3)[:, :32]).all() and
            (in_rows_of_48[:, 32:] == tail[:n].reshape(-1, 48, 3)[:, 32:]).all() and (blocks != tail).any()):
        raise SystemExit("OpenCV's HSV2BGR here does not take blocks of 32 pixels, truncating, and round the rest")
    to_hsv = cv2.cvtColor(np.ascontiguousarray(triples[:, ::-1]).reshape(4096, 4096, 3), cv2.COLOR_BGR2HSV)
    tensors = [("rgb2hsv.planes", plane_digests(to_hsv)), ("hsv2rgb.blocks.planes", plane_digests(blocks)),
               ("hsv2rgb.tail.planes", plane_digests(tail))]

    inputs = {"noise": np.random.default_rng(26).integers(0, 256, (40, 64, 3), dtype=np.uint8), "ramp": ramp()}
    tensors += [(f"input.{name}", img) for name, img in inputs.items()]
    for i, r in enumerate(CASES):
        for name, img in inputs.items():
            tensors.append((f"output.{name}.{i}", random_hsv(img, hsv_tables(r))))

    metadata = {"cases": json.dumps([list(r) for r in CASES]), "images": json.dumps(list(inputs)),
                "opencv": json.dumps(cv2.__version__)}
    path = os.path.join(args.out, "hsv_opencv.safetensors")
    write_safetensors(path, tensors, metadata, dtype="U8")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
