#!/usr/bin/python3
"""Reference values for the validation metrics (lib/val/ap.c, match.c), written from the definitions of
../shared/reference/yolo26.md section 6 with numpy, not from Ultralytics' code:

    /usr/bin/python3 tests/reference/make_ap_vectors.py [--out DIR]

Random images with boxes of 3 classes and detections (most near a box, some anywhere, some of the wrong class),
matched at the 10 IoU thresholds 0.50:0.05:0.95 the way Ultralytics' numpy path does it (pairs by IoU from the
highest; each detection keeps its best; numpy's unique then puts them back in detection order, so each box goes to
the first detection, best scoring first, that kept it), then per class: cumulative precision and recall, AP by the
101-point trapezoid of the precision envelope with the sentinels (0, 1), (recall[-1], 0), (1, 0), P and R curves on a
1000-point confidence grid, the class-mean F1 box-smoothed over 101 points, and P and R at its first maximum.

Entries (float32; the file is tests/reference/vectors/ap_random.safetensors):
    dets     (D, 7) image, class, x1, y1, x2, y2, confidence; each image's detections by confidence, highest first
    gts      (G, 6) image, class, x1, y1, x2, y2
    metrics  (4,) mean P, mean R, mAP50, mAP50-95
    ap       (C, 10) per class with boxes, ascending
__metadata__: images, about.
"""
import argparse
import os

import numpy as np

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
THRESHOLDS = 0.5 + 0.05 * np.arange(10)


def iou(a, b):
    """IoU of every box of a (N, 4) with every box of b (M, 4), xyxy."""
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def match(det, gt):
    """(D, 10) true positives of one image's detections against its boxes."""
    correct = np.zeros((len(det), 10), bool)
    if not len(det) or not len(gt):
        return correct
    m = iou(gt[:, 2:6], det[:, 2:6]) * (gt[:, None, 1] == det[None, :, 1])
    for t, threshold in enumerate(THRESHOLDS):
        pairs = [(i, j, m[i, j]) for i in range(len(gt)) for j in range(len(det)) if m[i, j] >= threshold]
        pairs.sort(key=lambda p: (-p[2], p[1], p[0]))  # by IoU, the highest first
        best = {}
        for i, j, _ in pairs:
            best.setdefault(j, i)  # each detection's best box
        taken = set()
        for j in sorted(best):  # back in detection order
            if best[j] not in taken:
                taken.add(best[j])
                correct[j, t] = True
    return correct


def interp(x, xp, fp, left):
    """Linear interpolation, xp rising with repeats: on a point, the last of its repeats."""
    if x < xp[0]:
        return left
    if x > xp[-1]:
        return fp[-1]
    j = np.searchsorted(xp, x, side="right") - 1
    if x == xp[j] or j == len(xp) - 1:
        return fp[j]
    return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) * (x - xp[j]) + fp[j]


def average_precision(recall, precision):
    mrec = np.concatenate(([0.0], recall, [recall[-1]], [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0], [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    y = np.array([interp(k / 100, mrec, mpre, mpre[0]) for k in range(101)])
    return float(((y[1:] + y[:-1]) / 2 * 0.01).sum())


def metrics(tp, conf, pcls, tcls):
    order = np.argsort(-conf, kind="stable")
    tp, conf, pcls = tp[order], conf[order], pcls[order]
    classes = np.unique(tcls)
    ap = np.zeros((len(classes), 10))
    grid = np.arange(1000) / 999
    pc, rc = np.zeros((len(classes), 1000)), np.zeros((len(classes), 1000))
    for c, cls in enumerate(classes):
        sel = pcls == cls
        labels = (tcls == cls).sum()
        if not sel.any():
            continue
        tpc, fpc = tp[sel].cumsum(0), (1 - tp[sel]).cumsum(0)
        recall, precision = tpc / (labels + 1e-16), tpc / (tpc + fpc)
        for t in range(10):
            ap[c, t] = average_precision(recall[:, t], precision[:, t])
        xp = -conf[sel]
        rc[c] = [interp(-x, xp, recall[:, 0], 0) for x in grid]
        pc[c] = [interp(-x, xp, precision[:, 0], 1) for x in grid]
    f1 = (2 * pc * rc / (pc + rc + 1e-16)).mean(0)
    padded = np.concatenate((np.full(50, f1[0]), f1, np.full(50, f1[-1])))
    best = int(np.argmax([padded[g:g + 101].sum() / 101 for g in range(1000)]))
    return pc[:, best].mean(), rc[:, best].mean(), ap[:, 0].mean(), ap.mean(), ap


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    dets, gts, tps = [], [], []
    for image in range(60):
        g = []
        for _ in range(rng.integers(0, 7)):
            x, y, w, h = rng.uniform(0, 100), rng.uniform(0, 100), rng.uniform(5, 35), rng.uniform(5, 35)
            g.append([image, rng.integers(0, 3), x, y, x + w, y + h])
        d = []
        for _ in range(rng.integers(0, 13)):
            if g and rng.uniform() < 0.65:
                b = g[rng.integers(0, len(g))]
                jitter = rng.uniform(-4, 4, 4)
                cls = b[1] if rng.uniform() < 0.85 else rng.integers(0, 3)
                d.append([image, cls, *(np.array(b[2:6]) + jitter), rng.uniform()])
            else:
                x, y, w, h = rng.uniform(0, 100), rng.uniform(0, 100), rng.uniform(5, 35), rng.uniform(5, 35)
                d.append([image, rng.integers(0, 3), x, y, x + w, y + h, rng.uniform()])
        g = np.array(g, np.float32).reshape(-1, 6)
        d = np.array(d, np.float32).reshape(-1, 7)
        d = d[np.argsort(-d[:, 6], kind="stable")]
        tps.append(match(d.astype(np.float64), g.astype(np.float64)))
        dets.append(d), gts.append(g)
    dets, gts, tp = np.concatenate(dets), np.concatenate(gts), np.concatenate(tps)
    mp, mr, map50, map_, ap = metrics(tp.astype(np.float64), dets[:, 6].astype(np.float64), dets[:, 1], gts[:, 1])
    tensors = [("dets", dets), ("gts", gts), ("metrics", np.array([mp, mr, map50, map_])), ("ap", ap)]
    write_safetensors(os.path.join(args.out, "ap_random.safetensors"), tensors,
                      {"images": "60", "about": "random boxes and detections, see make_ap_vectors.py"})
    print(f"P {mp:.6f} R {mr:.6f} mAP50 {map50:.6f} mAP50-95 {map_:.6f}")


if __name__ == "__main__":
    main()
