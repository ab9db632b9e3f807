#!/usr/bin/python3
"""PyTorch reference vectors for the detection loss (lib/train), written from the formulas of
../shared/reference/yolo26.md sections 4.1 and 4.2, not from Ultralytics' code.

    /usr/bin/python3 tests/reference/make_loss_vectors.py [--out DIR]

Needs Debian's python3-torch and python3-numpy. Each case is one head's loss (one-to-many: task-aligned top 10;
one-to-one: top 7, then the single best) on random head outputs and labels, computed in float64 with autograd for
the gradients, stored as float32 in tests/reference/vectors/loss_<case>.safetensors (format: see
make_vectors.py).

Ties, which the formulas leave open: the top-k anchors of a ground truth are the k largest metrics, the lower anchor
index first among equal ones; an anchor claimed by several ground truths goes to the one with the largest IoU, the
lower index first among equal ones.

Entries, levels l = 0, 1, 2 at strides 8, 16, 32, activations NHWC as the engine lays them out:
    boxes.<l>          (B, H_l, W_l, 4) raw (left, top, right, bottom) distances from the anchor, grid units
    scores.<l>         (B, H_l, W_l, nc) class logits
    labels             (N, 6) image, class, cx, cy, w, h (normalised to the image, as YOLO label files)
    items              (3,) box, cls, l1: each term after its gain (7.5, 0.5, 1.5), before the batch scale
    total              (1,) (box + cls + l1) x batch x weight, the head's share of the loss
    grad.boxes.<l>, grad.scores.<l>   d total / d the outputs
    fg                 (B, A) 1 where the anchor is assigned (anchors over levels, each row-major)
    gt                 (B, A) the index of its ground truth among its image's labels in file order (0 if none)
    norm               (B, A) its target score (the alignment normalised per ground truth), 0 if none
__metadata__: case, batch, imgsz ([H, W]), nc, strides, topk, topk2, alpha, beta, gains, weight, about.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_file import write_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STRIDES = (8, 16, 32)
GAINS = {"box": 7.5, "cls": 0.5, "dfl": 1.5}
ALPHA, BETA, EPS = 0.5, 6.0, 1e-9


def ciou(b1, b2, eps=1e-7):
    """CIoU of xyxy boxes (..., 4), alpha held constant (no gradient through it)."""
    ax1, ay1, ax2, ay2 = b1.unbind(-1)
    bx1, by1, bx2, by2 = b2.unbind(-1)
    w1, h1 = ax2 - ax1, ay2 - ay1 + eps
    w2, h2 = bx2 - bx1, by2 - by1 + eps
    inter = (torch.minimum(ax2, bx2) - torch.maximum(ax1, bx1)).clamp(min=0) * (
        torch.minimum(ay2, by2) - torch.maximum(ay1, by1)
    ).clamp(min=0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / union
    cw = torch.maximum(ax2, bx2) - torch.minimum(ax1, bx1)
    ch = torch.maximum(ay2, by2) - torch.minimum(ay1, by1)
    c2 = cw**2 + ch**2 + eps
    rho2 = ((bx1 + bx2 - ax1 - ax2) ** 2 + (by1 + by2 - ay1 - ay2) ** 2) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def first_max(x, axis):
    return np.argmax(x, axis=axis)  # numpy: the first of equal maxima


def top_indices(row, k):
    """The k largest of a row, the lower index first among equal values."""
    order = np.lexsort((np.arange(len(row)), -row))
    return order[:k]


def assign(probs, pboxes, anchors, gt_cls, gt_boxes, topk, topk2):
    """One image: probs (A, nc), pboxes (A, 4) pixels, anchors (A, 2) pixels, gt_boxes (n, 4) pixels xyxy."""
    a_count, n = len(anchors), len(gt_cls)
    fg, gt, norm = np.zeros(a_count), np.zeros(a_count, dtype=np.int64), np.zeros(a_count)
    if n == 0:
        return fg, gt, norm
    cx, cy = (gt_boxes[:, 0] + gt_boxes[:, 2]) / 2, (gt_boxes[:, 1] + gt_boxes[:, 3]) / 2
    w, h = gt_boxes[:, 2] - gt_boxes[:, 0], gt_boxes[:, 3] - gt_boxes[:, 1]
    w = np.where(w < STRIDES[0], STRIDES[1], w)  # small targets: that side grows to the middle stride
    h = np.where(h < STRIDES[0], STRIDES[1], h)
    lt = np.stack((cx - w / 2, cy - h / 2), 1)[:, None, :]
    rb = np.stack((cx + w / 2, cy + h / 2), 1)[:, None, :]
    inside = ((anchors[None] - lt > EPS) & (rb - anchors[None] > EPS)).all(-1)  # (n, A)
    pair = ciou(torch.tensor(gt_boxes)[:, None, :].expand(n, a_count, 4), torch.tensor(pboxes)[None].expand(n, a_count, 4))
    overlaps = np.where(inside, pair.clamp(min=0).numpy(), 0.0)
    scores = np.where(inside, probs[:, gt_cls].T, 0.0)
    metric = scores**ALPHA * overlaps**BETA
    pos = np.zeros((n, a_count))
    for j in range(n):
        pos[j, top_indices(metric[j], topk)] = 1
    pos *= inside
    claimed = pos.sum(0) > 1
    if claimed.any():
        best = np.zeros((n, a_count))
        best[first_max(overlaps, 0), np.arange(a_count)] = 1
        pos[:, claimed] = best[:, claimed]
    if topk2 != topk:
        kept = np.zeros((n, a_count))
        for j in range(n):
            kept[j, top_indices(metric[j] * pos[j], topk2)] = 1
        pos *= kept
    fg = (pos.sum(0) > 0).astype(np.float64)
    gt = first_max(pos, 0)
    aligned = metric * pos
    peak = aligned.max(1, keepdims=True)
    best_overlap = (overlaps * pos).max(1, keepdims=True)
    norm = (aligned * best_overlap / (peak + EPS)).max(0) * fg
    return fg, gt, norm


def anchor_grid(levels):
    points, strides = [], []
    for (hl, wl), s in zip(levels, STRIDES):
        ys, xs = np.meshgrid(np.arange(hl) + 0.5, np.arange(wl) + 0.5, indexing="ij")
        points.append(np.stack((xs.ravel(), ys.ravel()), 1))
        strides.append(np.full(hl * wl, s, dtype=np.float64))
    return np.concatenate(points), np.concatenate(strides)


def head_loss(boxes, scores, labels, imgsz, topk, topk2, weight):
    """boxes[l] (B, H, W, 4), scores[l] (B, H, W, nc), float64 leaves; labels (N, 6)."""
    batch, nc = boxes[0].shape[0], scores[0].shape[-1]
    levels = [b.shape[1:3] for b in boxes]
    anchors_np, stride_np = anchor_grid(levels)
    anchors, stride = torch.tensor(anchors_np), torch.tensor(stride_np)[:, None]
    dist = torch.cat([b.reshape(batch, -1, 4) for b in boxes], 1)
    logits = torch.cat([s.reshape(batch, -1, nc) for s in scores], 1)
    pred = torch.cat((anchors - dist[..., :2], anchors + dist[..., 2:]), -1)  # grid units
    height, width = imgsz
    size = torch.tensor([width, height, width, height], dtype=torch.float64)
    a_count = len(anchors_np)
    fg, gt, norm = np.zeros((batch, a_count)), np.zeros((batch, a_count), dtype=np.int64), np.zeros((batch, a_count))
    target_scores = torch.zeros(batch, a_count, nc, dtype=torch.float64)
    target_boxes = torch.zeros(batch, a_count, 4, dtype=torch.float64)
    for b in range(batch):
        mine = labels[labels[:, 0] == b]
        cls = mine[:, 1].astype(np.int64)
        xywh = mine[:, 2:6] * np.array([width, height, width, height])
        xyxy = np.concatenate((xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2), 1)
        probs = torch.sigmoid(logits[b]).detach().numpy()
        pboxes = (pred[b].detach() * stride).numpy()
        fg[b], gt[b], norm[b] = assign(probs, pboxes, anchors_np * stride_np[:, None], cls, xyxy, topk, topk2)
        for a in np.nonzero(fg[b])[0]:
            target_scores[b, a, cls[gt[b, a]]] = norm[b, a]
            target_boxes[b, a] = torch.tensor(xyxy[gt[b, a]])
    total_scores = max(target_scores.sum().item(), 1.0)
    cls_loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target_scores, reduction="sum") / total_scores
    mask = torch.tensor(fg > 0)
    box_loss = l1_loss = torch.zeros((), dtype=torch.float64)
    if mask.any():
        w = target_scores.sum(-1)[mask]
        target_grid = target_boxes / stride
        box_loss = ((1 - ciou(pred[mask], target_grid[mask])) * w).sum() / total_scores
        target_ltrb = torch.cat((anchors - target_grid[..., :2], target_grid[..., 2:] - anchors), -1) * stride / size
        pred_ltrb = dist * stride / size
        l1_loss = ((pred_ltrb - target_ltrb).abs()[mask].mean(-1) * w).sum() / total_scores
    items = torch.stack((box_loss * GAINS["box"], cls_loss * GAINS["cls"], l1_loss * GAINS["dfl"]))
    total = items.sum() * batch * weight
    return items, total, fg, gt, norm


def random_labels(rng, batch, plan):
    """plan: per image, a list of (class, cx, cy, w, h) or "random:N"."""
    rows = []
    for b, spec in enumerate(plan):
        if isinstance(spec, str):
            count = int(spec.split(":")[1])
            for _ in range(count):
                w, h = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.6)
                rows.append((b, rng.integers(0, 2) * 2, rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2), w, h))
        else:
            rows += [(b, *box) for box in spec]
    return np.array(rows, dtype=np.float32).reshape(-1, 6)


CASES = [
    # name, batch, imgsz (H, W), nc, labels plan, topk, topk2, weight
    ("basic_o2m", 2, (64, 64), 3, [[(0, 0.5, 0.5, 0.5, 0.6), (2, 0.25, 0.3, 0.3, 0.25)], [(1, 0.6, 0.4, 0.7, 0.5)]], 10, 10, 0.8),
    ("basic_o2o", 2, (64, 64), 3, [[(0, 0.5, 0.5, 0.5, 0.6), (2, 0.25, 0.3, 0.3, 0.25)], [(1, 0.6, 0.4, 0.7, 0.5)]], 7, 1, 0.2),
    # image 0 has no boxes; image 1 small ones (under 8 px on a side) and two that overlap; image 2 many, of
    # classes 0 and 2 only, so 1, 3 and 4 are absent from the batch
    ("edge_o2m", 3, (96, 64), 5, [[], [(0, 0.3, 0.3, 5 / 64, 6 / 96), (2, 0.7, 0.6, 4 / 64, 30 / 96),
                                       (0, 0.5, 0.5, 0.4, 0.4), (2, 0.55, 0.52, 0.35, 0.45)], "random:20"], 10, 10, 0.55),
    ("edge_o2o", 3, (96, 64), 5, [[], [(0, 0.3, 0.3, 5 / 64, 6 / 96), (2, 0.7, 0.6, 4 / 64, 30 / 96),
                                       (0, 0.5, 0.5, 0.4, 0.4), (2, 0.55, 0.52, 0.35, 0.45)], "random:20"], 7, 1, 0.45),
    ("empty", 2, (64, 32), 2, [[], []], 10, 10, 0.8),
]


def run(case, seed):
    name, batch, imgsz, nc, plan, topk, topk2, weight = case
    rng = np.random.default_rng(seed)
    levels = [(imgsz[0] // s, imgsz[1] // s) for s in STRIDES]
    boxes = [rng.uniform(-0.5, 4, (batch, h, w, 4)).astype(np.float32) for h, w in levels]
    scores = [rng.normal(-2, 1.5, (batch, h, w, nc)).astype(np.float32) for h, w in levels]
    labels = random_labels(rng, batch, plan)
    leaves_b = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in boxes]
    leaves_s = [torch.tensor(s, dtype=torch.float64, requires_grad=True) for s in scores]
    items, total, fg, gt, norm = head_loss(leaves_b, leaves_s, labels.astype(np.float64), imgsz, topk, topk2, weight)
    total.backward()
    tensors = [(f"boxes.{l}", b) for l, b in enumerate(boxes)] + [(f"scores.{l}", s) for l, s in enumerate(scores)]
    tensors += [("labels", labels), ("items", items.detach().numpy()), ("total", total.detach().numpy().reshape(1))]
    grad = [np.zeros(leaf.shape) if leaf.grad is None else leaf.grad.numpy() for leaf in leaves_b + leaves_s]
    tensors += [(f"grad.boxes.{l}", g) for l, g in enumerate(grad[:3])]
    tensors += [(f"grad.scores.{l}", g) for l, g in enumerate(grad[3:])]
    tensors += [("fg", fg), ("gt", gt.astype(np.float64)), ("norm", norm)]
    metadata = {
        "case": name, "batch": str(batch), "imgsz": json.dumps(list(imgsz)), "nc": str(nc),
        "strides": json.dumps(list(STRIDES)), "topk": str(topk), "topk2": str(topk2), "alpha": str(ALPHA),
        "beta": str(BETA), "gains": json.dumps(GAINS), "weight": str(weight), "seed": str(seed),
        "about": "detection loss of one head, from the formulas of yolo26.md 4.1-4.2; see make_loss_vectors.py",
    }
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()
    for seed, case in enumerate(CASES):
        path = os.path.join(args.out, f"loss_{case[0]}.safetensors")
        write_safetensors(path, *run(case, seed))
        print(path)


if __name__ == "__main__":
    main()
