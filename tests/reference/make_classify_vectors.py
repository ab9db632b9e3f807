#!/usr/bin/python3
"""PIL and torchvision reference vectors for the classification transforms (lib/data/pil_resize, classify_augment).

    /usr/bin/python3 tests/reference/make_classify_vectors.py [--out DIR] [--datasets DIR]

Needs Debian's python3-pil, python3-torchvision and python3-opencv (not needed to build or test: the output is
committed). Ultralytics' ClassificationDataset reads an image with cv2.imread, makes it a PIL RGB image and runs
torchvision's transforms on it (classify_augmentations, classify_transforms); everything below goes through those
same torchvision calls, on images made from a formula the C test builds too:

    formula   pixel (x, y), channel c = (3 x^2 + 17 y + 5 x y + 71 c) mod 256, HWC
    low       40 + formula // 2 (a narrower range, where autocontrast and equalize have work to do)

Entries, every one U8, shape (H, W, 3):
    crop.<i>        F.resized_crop(formula WxH, top, left, h, w, [size, size], BILINEAR): PIL's crop, then its
                    antialiased bilinear resize, as RandomResizedCrop applies a box it drew
    val.<i>         classify_transforms(size)'s Resize(size) and CenterCrop(size) on formula WxH
    op.<i>          torchvision's _apply_op(image, op, magnitude, BILINEAR, fill=None) on a 30x20 image
    hue.<i>         F.adjust_hue(formula 30x20, factor): ColorJitter's hue, through PIL's HSV
__metadata__ (strings holding JSON text):
    crop            [{src [w, h], box [left, top, w, h], size, entry}]
    val             [{src [w, h], size, entry}]
    op              [{op, image, bin, bins, negative, magnitude, entry}]: magnitude as torch's augmentation
                    space gives it for that bin on a 30x20 image (float32, then negated when negative)
    hue             [{factor, entry}]
    magnitudes      {"<bins>x<w>x<h>": {op: [magnitude per bin]}}: the augmentation spaces of RandAugment (31
                    bins) and AutoAugment (10), at 30x20 and 224x224
    images          [{file, size [w, h], rgb_sha256, val_224, crop {box, size, sha256}}] with --datasets: real
                    classification images read as Ultralytics reads them, SHA-256 of their RGB bytes, of
                    classify_transforms(224) and of one resized crop
    versions        PIL, torchvision
"""
import argparse
import glob
import hashlib
import json
import os

import cv2
import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F
from torchvision.transforms.autoaugment import AutoAugment, RandAugment, _apply_op

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
OP_W, OP_H = 30, 20

# (src w, src h, left, top, w, h, size): shrinking across and down, enlarging, both at once, a thin box
CROPS = [
    (37, 23, 0, 0, 37, 23, 16), (37, 23, 3, 2, 20, 15, 16), (37, 23, 5, 4, 10, 8, 16), (37, 23, 0, 0, 37, 23, 48),
    (37, 23, 10, 3, 17, 17, 7), (37, 23, 1, 0, 36, 5, 12), (37, 23, 30, 0, 7, 23, 9),
]
# (src w, src h, size)
VALS = [(37, 23, 16), (23, 37, 16), (16, 16, 16), (10, 10, 16), (37, 23, 20), (23, 23, 9)]
SIGNED = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast", "Sharpness"]
UNSIGNED = ["Posterize", "Solarize", "AutoContrast", "Equalize"]
# extra (op, bin of 10, negative): AutoAugment's bins, and factors on both sides of 1 and of 0
EXTRA = [("Rotate", 9, False), ("Rotate", 3, True), ("ShearX", 5, False), ("Posterize", 8, False),
         ("Posterize", 0, False), ("Solarize", 5, False), ("Solarize", 3, False), ("Contrast", 8, False),
         ("Color", 8, True), ("Brightness", 9, False)]
HUES = [0.015, -0.015, 0.0, 0.2, -0.5]


def formula_image(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return ((3 * x * x + 17 * y + 5 * x * y + 71 * c) % 256).astype(np.uint8)


def low_image(w, h):
    return (40 + formula_image(w, h) // 2).astype(np.uint8)


def spaces(w, h):
    out = {}
    for bins, space in ((31, RandAugment()._augmentation_space(31, (h, w))),
                        (10, AutoAugment()._augmentation_space(10, (h, w)))):
        out[f"{bins}x{w}x{h}"] = {op: [float(v) for v in mags.reshape(-1)] for op, (mags, _) in space.items()
                                  if mags.ndim > 0}
    return out


def sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def real_images(datasets):
    out = []
    paths = sorted(glob.glob(os.path.join(datasets, "imagenet10", "val", "*", "*.JPEG")))[:4]
    paths += sorted(glob.glob(os.path.join(datasets, "mnist160", "train", "*", "*.png")))[:2]
    val = torchvision.transforms.Compose([torchvision.transforms.Resize(224), torchvision.transforms.CenterCrop(224)])
    for path in paths:
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        image = Image.fromarray(rgb)
        w, h = image.size
        box = [w // 7, h // 5, w - w // 7 - w // 9, h - h // 5 - h // 11]
        crop = F.resized_crop(image, box[1], box[0], box[3], box[2], [224, 224], InterpolationMode.BILINEAR)
        out.append({"file": os.path.relpath(path, datasets), "size": [w, h], "rgb_sha256": sha(rgb),
                    "val_224": sha(np.asarray(val(image))),
                    "crop": {"box": box, "size": 224, "sha256": sha(np.asarray(crop))}})
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    parser.add_argument("--datasets", default=os.path.join(HERE, "..", "..", "..", "shared", "datasets"))
    args = parser.parse_args()
    torch.set_num_threads(1)

    tensors, crops, vals, ops, hues = [], [], [], [], []
    for i, (sw, sh, left, top, w, h, size) in enumerate(CROPS):
        image = Image.fromarray(formula_image(sw, sh))
        out = F.resized_crop(image, top, left, h, w, [size, size], InterpolationMode.BILINEAR)
        tensors.append((f"crop.{i}", np.asarray(out)))
        crops.append({"src": [sw, sh], "box": [left, top, w, h], "size": size, "entry": f"crop.{i}"})
    for i, (sw, sh, size) in enumerate(VALS):
        transform = torchvision.transforms.Compose([torchvision.transforms.Resize(size),
                                                    torchvision.transforms.CenterCrop(size)])
        tensors.append((f"val.{i}", np.asarray(transform(Image.fromarray(formula_image(sw, sh))))))
        vals.append({"src": [sw, sh], "size": size, "entry": f"val.{i}"})

    space = spaces(OP_W, OP_H)
    images = {"formula": formula_image(OP_W, OP_H), "low": low_image(OP_W, OP_H)}
    cases = [(op, "formula", 9, 31, neg) for op in SIGNED for neg in (False, True)]
    cases += [(op, name, 9, 31, False) for op in UNSIGNED for name in images]
    cases += [("Brightness", "low", 9, 31, True), ("Contrast", "low", 9, 31, False),
              ("Invert", "formula", 0, 10, False)]
    cases += [(op, "formula", b, 10, neg) for op, b, neg in EXTRA]
    for i, (op, name, b, bins, neg) in enumerate(cases):
        mags = space[f"{bins}x{OP_W}x{OP_H}"].get(op)
        magnitude = mags[b] if mags else 0.0
        magnitude = -magnitude if neg else magnitude
        out = _apply_op(Image.fromarray(images[name]), op, magnitude, InterpolationMode.BILINEAR, None)
        tensors.append((f"op.{i}", np.asarray(out)))
        ops.append({"op": op, "image": name, "bin": b, "bins": bins, "negative": neg, "magnitude": magnitude,
                    "entry": f"op.{i}"})
    for i, factor in enumerate(HUES):
        tensors.append((f"hue.{i}", np.asarray(F.adjust_hue(Image.fromarray(images["formula"]), factor))))
        hues.append({"factor": factor, "entry": f"hue.{i}"})

    space.update(spaces(224, 224))
    metadata = {
        "formula": json.dumps("pixel (x, y), channel c = (3 x^2 + 17 y + 5 x y + 71 c) mod 256, HWC;"
                              " low = 40 + it // 2"),
        "crop": json.dumps(crops), "val": json.dumps(vals), "op": json.dumps(ops), "hue": json.dumps(hues),
        "magnitudes": json.dumps(space),
        "images": json.dumps(real_images(args.datasets) if os.path.isdir(args.datasets) else []),
        "versions": json.dumps({"PIL": PIL.__version__, "torchvision": torchvision.__version__}),
    }
    path = os.path.join(args.out, "classify_pil.safetensors")
    write_safetensors(path, tensors, metadata, dtype="U8")
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
