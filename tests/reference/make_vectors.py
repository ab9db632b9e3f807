#!/usr/bin/python3
"""PyTorch reference vectors for the engine (lib/nn), computed by Ultralytics' own modules.

    /usr/bin/python3 tests/reference/make_vectors.py [--out DIR] [--case NAME ...] [ULTRALYTICS]

ULTRALYTICS (or $ULTRALYTICS) is the folder that holds the `ultralytics` package of upstream commit a343ddd8
(8.4.117; the pristine commit in the public fork ratry-ai/ultralytics), unpacked outside this repository. Needs
Debian's python3-torch, python3-torchvision (Ultralytics reads its version at import), python3-numpy and
python3-yaml; OpenCV is stubbed when missing, as nothing here reads images. Only the reference scripts (this one,
make_loss_vectors.py) and the benchmark's peer import torch: the vectors are committed, so building and testing
never need it.

Each case is a small network written as an Ultralytics model YAML (rows [from, repeats, module, args]), built by
Ultralytics' parse_model, given initialize_weights (BatchNorm eps 1e-3, momentum 0.03) and the deterministic fill
below, then run forward in training mode (batch statistics, running statistics updated) in float64 with the
YAML's routing (BaseModel's forward), on a random input. Every output gets a random upstream gradient; backward
gives the input's and the parameters' gradients. Values are float32 numbers (inputs, weights, upstream gradients)
computed on in float64, then stored as float32 in tests/reference/vectors/<case>.safetensors.

File format: safetensors (8-byte little-endian header length, a JSON header padded with spaces to 8 bytes, then
the data), every tensor F32, little-endian, in PyTorch's layouts (activations NCHW, conv weights OIHW, linear
(out, in)). Entries:

    input                    (B, C, H, W) the network's input
    output.<k>               each output, named as listed in the metadata "outputs"
    grad.output.<k>          the upstream gradient given to it (the loss is sum(output * grad.output) over all)
    grad.input               d loss / d input
    grad.<param>             d loss / d parameter, <param> its state-dict name ("model.0.conv.weight"); for cases
                             with more than SUMMARY_ABOVE parameters a summary instead:
    summary.grad.<param>     (2 + K,) its sum, its L2 norm, then its elements at K = min(8, numel) flat indices
                             (row-major, PyTorch's layout) evenly spaced: floor(j (numel - 1) / (K - 1)), j < K
    after.<buffer>           every BatchNorm running_mean and running_var after the forward:
                             running = (1 - 0.03) running + 0.03 batch, the batch variance unbiased (n - 1)

Parameters the forward never reaches (Pose26's flow_model, used by the loss only) have zero gradients.

Outputs <k>, in the order Ultralytics returns them in training mode (each one's shape and meaning is also in the
metadata). A network without a head: "last", its last layer's output (B, C, H, W). Classify: "logits" (B, nc).
Detect and the heads built on it return {"one2many": {...}, "one2one": {...}}, both branches computed; for each
branch b, in this order:
    b.boxes                  (B, 4, A) raw (left, top, right, bottom) distances in grid units (reg_max 1: no DFL)
    b.scores                 (B, nc, A) class logits
    b.mask_coefficient       Segment26: (B, nm, A)
    b.kpts, b.kpts_sigma     Pose26: (B, K * D, A), per keypoint D channels x, y (grid-unit offsets from the
                             anchor), visibility logit; (B, 2 K, A) sigma x, y, a training-only output
    b.angle                  OBB26: (B, ne, A) the raw angle, radians
    proto, semantic          Segment26, one2many only: (B, nm, 2 H3, 2 W3) prototypes and (B, nc, H3, W3) the
                             training-only semseg logits; one2one gets detached copies, not stored
A counts anchors over the head's inputs in `from` order (P3, P4, P5), each level's cells row-major (y, then x).
The one2one branch (one2one_cv2, one2one_cv3, ...: its own weights) sees detached features: its gradient reaches
its own parameters, never grad.input. The head's "feats" (its inputs, handed back for the loss) are left out.

__metadata__ (strings): case, yaml (the model YAML as JSON, "channels" = input channels; its single scale is the
one built), input_shape, batch, imgsz, fill (rule name), seed, fill_sha256 (SHA-256 of every drawn value as
little-endian float32, in state-dict order: checks a reimplementation of the fill), grads ("full", or "summary: "
and its rule), bn, outputs (a JSON list of {name, shape, about}), float32_floor, torch, ultralytics.
float32_floor says how close float32 can get: PyTorch's own float32 run of the case against this reference, for
each group (output: all outputs; grad.input; grad: every parameter's full gradient; after: the running
statistics), the largest |a - b| / max(1, |b|) and |a - b| / |b| over the group. Deep cases are ill-conditioned
(tiny: around 1e-2 elementwise on grad.input) and some gradients are exactly zero in exact arithmetic (a BatchNorm
bias whose shift a later training-mode BatchNorm removes, as SPPF's cv1.bn.bias), so compare with these in mind.

Fill rule "splitmix64-1" (tests/reference_fill.h is the C side): one splitmix64 stream (lib/core/random.c) from the
case's seed, consumed over the state dict in order, each tensor's elements in row-major order. Each number u =
(next >> 40) * 2^-24, and the element is float32(lo + span * u) computed in double, span = float32(hi - lo) (so
that span * u is exact and a fused multiply-add changes nothing), with (lo, hi) by name:
    *.running_mean                         [-0.1, 0.1]
    *.running_var                          [0.5, 1.5]
    *.bn.weight                            [0.5, 1.5]      (BatchNorm: every one is a Conv's "bn")
    *.bn.bias                              [-0.5, 0.5]
    other *.weight of 2 or more dims       [-b, b], b = 1 / sqrt(fan_in), fan_in = shape[1] * prod(shape[2:])
    other *.bias                           [-b, b] with b of the last weight drawn (its layer's)
    anything else (num_batches_tracked, flow_model.loc/cov/mask)   not drawn: kept as built
Inputs: uniform in [0, 1) for 3-channel (image) inputs, else [-1, 1), from the stream of seed + 1; upstream
gradients uniform in [-1, 1) from the stream of seed + 2, output after output (all stored, so never regenerated).
"""

import argparse
import copy
import hashlib
import json
import math
import os
import sys
import tempfile
import types

import numpy as np
import torch
import yaml

from safetensors_file import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILL = "splitmix64-1"
GOLDEN = 0x9E3779B97F4A7C15
SUMMARY_ABOVE = 100_000  # parameters; above this, gradients are summarised to keep the files small
PICKS = 8
BATCH = 2
SETTINGS = tempfile.TemporaryDirectory(prefix="ul-vectors-")  # removed at exit


def import_ultralytics(source):
    """Ultralytics' parse_model, BaseModel and initialize_weights from the source tree, offline."""
    sys.path.insert(0, source)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "0")
    os.environ.setdefault("YOLO_CONFIG_DIR", SETTINGS.name)  # where it writes its settings file
    try:
        import cv2  # noqa: F401
    except ImportError:  # imported at load for image I/O, which no case uses
        cv2 = types.ModuleType("cv2")
        cv2.__getattr__ = lambda name: lambda *args, **kwargs: None
        sys.modules["cv2"] = cv2
    import ultralytics
    from ultralytics.nn.tasks import BaseModel, parse_model
    from ultralytics.utils.torch_utils import initialize_weights

    return ultralytics.__version__, BaseModel, parse_model, initialize_weights


def units(state, n):
    """n numbers in [0, 1) of 24 bits from the splitmix64 stream after state, and the state after them."""
    z = np.uint64(state) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN)  # wraps like uint64_t
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(40)).astype(np.float64) * 2.0**-24, (state + n * GOLDEN) % 2**64


def uniform(state, shape, lo, hi):
    """float32 values in [lo, hi) as the C side draws them, and the state after them. The span is rounded to
    float32 so that span * u is exact in double: a fused multiply-add then gives the same numbers."""
    u, state = units(state, math.prod(shape))
    span = float(np.float32(hi - lo))
    return (lo + span * u).astype(np.float32).reshape(shape), state


def fill_range(name, shape, fan_in):
    """(lo, hi) of a state-dict entry under the fill rule, or None when it is not drawn; and the fan_in that
    the next bias uses."""
    parts = name.split(".")
    if parts[-1] == "running_mean":
        return (-0.1, 0.1), fan_in
    if parts[-1] == "running_var":
        return (0.5, 1.5), fan_in
    if parts[-2] == "bn" and parts[-1] in ("weight", "bias"):
        return ((0.5, 1.5) if parts[-1] == "weight" else (-0.5, 0.5)), fan_in
    if parts[-1] == "weight" and len(shape) >= 2:
        fan_in = shape[1] * math.prod(shape[2:])
    elif parts[-1] != "bias":
        return None, fan_in
    bound = 1 / math.sqrt(fan_in)
    return (-bound, bound), fan_in


def fill(model, seed):
    """Draws every parameter and running statistic; the SHA-256 of what was drawn."""
    for name, module in model.named_modules():  # the rule finds BatchNorm by its name
        assert not isinstance(module, torch.nn.BatchNorm2d) or name.endswith(".bn"), name
    state, fan_in, digest = seed, 1, hashlib.sha256()
    for name, tensor in model.state_dict().items():
        span, fan_in = fill_range(name, tuple(tensor.shape), fan_in)
        if span is None:
            assert name.endswith(("num_batches_tracked", "flow_model.loc", "flow_model.cov", "flow_model.mask")), name
            continue
        values, state = uniform(state, tuple(tensor.shape), *span)
        tensor.copy_(torch.from_numpy(values))
        digest.update(values.astype("<f4").tobytes())
    return digest.hexdigest()


# --- the cases -------------------------------------------------------------------------------------------------

ANCHORS = (
    "anchors concatenated over the head's inputs in `from` order (P3, P4, P5), each level's cells row-major "
    "(y, then x): A = sum of H_l * W_l"
)
ONE2ONE = "; one2one.*: the same from the one-to-one copies (one2one_cv*), which see detached features"
ABOUT = {
    "last": "(B, C, H, W) the last layer's output, of a network without a head",
    "logits": "(B, nc) Classify's logits: no softmax in training; dropout 0",
    "boxes": "(B, 4, A) raw box distances (left, top, right, bottom) from the anchor in grid units, reg_max 1 "
    "so no DFL; " + ANCHORS + ONE2ONE,
    "scores": "(B, nc, A) class logits, before the sigmoid; anchors as boxes" + ONE2ONE,
    "mask_coefficient": "(B, nm, A) mask coefficients (cv4); anchors as boxes" + ONE2ONE,
    "proto": "(B, nm, 2 H_P3, 2 W_P3) Proto26's mask prototypes (stride 4); the one-to-one branch gets a "
    "detached copy, not stored",
    "semantic": "(B, nc, H_P3, W_P3) Proto26's training-only semseg logits, from P3 + refined P4, P5 (before "
    "feat_fuse); detached copy for one-to-one, not stored",
    "kpts": "(B, K * D, A) raw keypoints, per keypoint k channels D k + 0 (x offset from the anchor, grid "
    "units), D k + 1 (y), D k + 2 (visibility logit); anchors as boxes" + ONE2ONE,
    "kpts_sigma": "(B, 2 K, A) raw sigma outputs (x, y per keypoint), training only; anchors as boxes" + ONE2ONE,
    "angle": "(B, ne, A) raw angle in radians (OBB26: no sigmoid); anchors as boxes" + ONE2ONE,
}


def model_yaml(channels, backbone, head=(), scale=(1.0, 1.0, 1024), **top):
    """An Ultralytics model YAML with one scale, "t"."""
    return {**top, "channels": channels, "scales": {"t": list(scale)}, "backbone": list(backbone), "head": list(head)}


def head_case(name, head, seed, **top):
    """A detection-style case: stride 2, 4, 8 features (16, 32, 64 channels after width 0.125), a C3k2 among
    them (as in every YOLO26: it makes parse_model pick the non-legacy class branch), and the head."""
    backbone = [
        [-1, 1, "Conv", [128, 3, 2]],
        [-1, 1, "C3k2", [128, False, 0.5]],
        [-1, 1, "Conv", [256, 3, 2]],
        [-1, 1, "Conv", [512, 3, 2]],
    ]
    top = {"nc": 3, "end2end": True, "reg_max": 1, **top}
    y = model_yaml(3, backbone, [[[1, 2, 3], 1, *head]], (1.0, 0.125, 1024), **top)
    return {"name": name, "yaml": y, "hw": (16, 8), "seed": seed}


def tiny_case():
    """The whole YOLO26 detect topology, width 0.125 (so C2PSA gets 128 channels), depth 0.5, 3 classes."""
    with open(os.path.join(ROOT, "share/ul/models/yolo26.yaml")) as f:
        y = yaml.safe_load(f)
    y.update(nc=3, channels=3, scales={"t": [0.5, 0.125, 1024]})
    return {"name": "tiny", "yaml": y, "hw": (64, 64), "seed": 1000}


CASES = [
    {"name": "conv", "hw": (12, 10), "seed": 1,
     "yaml": model_yaml(3, [[-1, 1, "Conv", [8, 3, 2]], [-1, 1, "Conv", [16, 1, 1]]])},
    {"name": "c3k2_bottleneck", "hw": (6, 5), "seed": 2,
     "yaml": model_yaml(16, [[-1, 2, "C3k2", [32, False, 0.25]]])},
    {"name": "c3k2_c3k", "hw": (6, 5), "seed": 3,
     "yaml": model_yaml(16, [[-1, 1, "C3k2", [32, True]]])},
    {"name": "c3k2_attn", "hw": (5, 4), "seed": 4,
     "yaml": model_yaml(16, [[-1, 1, "C3k2", [32, True, 0.5, True]]])},
    {"name": "sppf", "hw": (7, 6), "seed": 5,
     "yaml": model_yaml(16, [[-1, 1, "SPPF", [16, 5, 3, True]]])},
    {"name": "c2psa", "hw": (4, 3), "seed": 6,
     "yaml": model_yaml(128, [[-1, 1, "C2PSA", [128]]])},
    {"name": "upsample_concat", "hw": (6, 4), "seed": 7,
     "yaml": model_yaml(8, [[-1, 1, "Conv", [8, 3, 1]], [-1, 1, "Conv", [16, 3, 2]]],
                        [[-1, 1, "nn.Upsample", [None, 2, "nearest"]], [[-1, 0], 1, "Concat", [1]]])},
    {"name": "classify", "hw": (5, 4), "seed": 8,
     "yaml": model_yaml(16, [], [[-1, 1, "Classify", ["nc"]]], nc=5)},
    head_case("detect", ["Detect", ["nc"]], 9),
    head_case("seg", ["Segment26", ["nc", 32, 256]], 10),
    head_case("pose", ["Pose26", ["nc", "kpt_shape"]], 11, kpt_shape=[17, 3]),
    head_case("obb", ["OBB26", ["nc", 1]], 12),
    tiny_case(),
]


# --- running a case --------------------------------------------------------------------------------------------


def named_outputs(preds, head):
    """(name, tensor) for every output that gradients flow from, in the order Ultralytics returns them."""
    if torch.is_tensor(preds):
        return [("logits" if head == "Classify" else "last", preds)]
    out = []
    for branch, parts in preds.items():  # one2many, then one2one
        for key, value in parts.items():
            if key == "feats":  # the head's inputs, handed back for the loss
                continue
            if key == "proto":  # (prototypes, semantic logits); one2one's are detached copies
                if branch == "one2many":
                    out += [("proto", value[0]), ("semantic", value[1])]
                continue
            out.append((f"{branch}.{key}", value))
    return out


def build(case, ultralytics):
    """The case's network, filled; and the SHA-256 of the fill."""
    _, BaseModel, parse_model, initialize_weights = ultralytics
    y = copy.deepcopy(case["yaml"])  # parse_model edits the rows' args in place
    y["scale"] = next(iter(y["scales"]))
    model = BaseModel()
    model.model, model.save = parse_model(y, ch=y["channels"], verbose=False)
    initialize_weights(model)
    assert all(m.eps == 1e-3 and m.momentum == 0.03 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    return model, fill(model, case["seed"])


def step(case, model, dtype):
    """A training forward and backward in dtype: the input, the outputs, their upstream gradients, the input's
    gradient (the parameters' are left in them)."""
    y, seed = case["yaml"], case["seed"]
    x32, _ = uniform(seed + 1, (BATCH, y["channels"], *case["hw"]), 0.0 if y["channels"] == 3 else -1.0, 1.0)
    x = torch.from_numpy(x32).to(dtype).requires_grad_()
    model.to(dtype).train()
    outputs = named_outputs(model(x), (y["backbone"] + y["head"])[-1][2])
    state, upstream = seed + 2, []
    for _, t in outputs:
        g, state = uniform(state, tuple(t.shape), -1.0, 1.0)
        upstream.append(g)
    torch.autograd.backward([t for _, t in outputs], [torch.from_numpy(g).to(dtype) for g in upstream])
    return x32, outputs, upstream, x.grad


def results(model, outputs, grad_input):
    """Groups of what a run computes, as float64 arrays: outputs, grad.input, parameter gradients (zero where
    the forward does not reach), running statistics."""
    flat = lambda ts: np.concatenate([t.detach().double().flatten().numpy() for t in ts])  # noqa: E731
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in model.parameters()]
    stats = [b for n, b in model.named_buffers() if n.endswith((".running_mean", ".running_var"))]
    return {"output": flat(t for _, t in outputs), "grad.input": flat([grad_input]), "grad": flat(grads),
            "after": flat(stats)}


def float32_floor(case, ultralytics, reference):
    """How far PyTorch's own float32 run of the case lands from the float64 reference, per group: the largest
    |a - b| / max(1, |b|), and |a - b| / |b| over the whole group."""
    model, _ = build(case, ultralytics)
    _, outputs, _, grad_input = step(case, model, torch.float32)
    floor = {}
    for group, got in results(model, outputs, grad_input).items():
        want = reference[group]
        floor[group] = {
            "elementwise": float(np.max(np.abs(got - want) / np.maximum(1, np.abs(want)))),
            "norm": float(np.linalg.norm(got - want) / np.linalg.norm(want)),
        }
    return floor


def run(case, ultralytics):
    model, fill_sha = build(case, ultralytics)
    x32, outputs, upstream, grad_input = step(case, model, torch.float64)
    floor = float32_floor(case, ultralytics, results(model, outputs, grad_input))

    f32 = lambda t: t.detach().numpy().astype(np.float32)  # noqa: E731
    tensors = [("input", x32)]
    tensors += [(f"output.{k}", f32(t)) for k, t in outputs]
    tensors += [(f"grad.output.{k}", g) for (k, _), g in zip(outputs, upstream)]
    tensors.append(("grad.input", f32(grad_input)))
    params = list(model.named_parameters())
    summary = sum(p.numel() for _, p in params) > SUMMARY_ABOVE
    for name, p in params:
        g = p.grad if p.grad is not None else torch.zeros_like(p)  # not reached by the forward
        if not summary:
            tensors.append((f"grad.{name}", f32(g)))
            continue
        flat, k = g.flatten(), min(PICKS, p.numel())
        index = [j * (p.numel() - 1) // (k - 1) if k > 1 else 0 for j in range(k)]
        tensors.append((f"summary.grad.{name}", f32(torch.cat([flat.sum()[None], flat.norm()[None], flat[index]]))))
    for name, b in model.named_buffers():
        if name.endswith((".running_mean", ".running_var")):
            tensors.append((f"after.{name}", f32(b)))

    about = lambda k: ABOUT[k.split(".")[-1]]  # noqa: E731
    metadata = {
        "case": case["name"],
        "yaml": json.dumps(case["yaml"]),
        "input_shape": json.dumps(list(x32.shape)),
        "batch": str(BATCH),
        "imgsz": json.dumps(case["hw"]),
        "fill": FILL,
        "seed": str(case["seed"]),
        "fill_sha256": fill_sha,
        "grads": "summary: sum, L2 norm, then the elements at floor(j (numel - 1) / (K - 1)), j < K = min(8, numel)"
        if summary else "full",
        "bn": json.dumps({"eps": 1e-3, "momentum": 0.03, "running_var": "updated with the unbiased batch variance"}),
        "outputs": json.dumps([{"name": k, "shape": list(t.shape), "about": about(k)} for k, t in outputs]),
        "float32_floor": json.dumps(floor),
        "torch": torch.__version__,
        "ultralytics": f"{ultralytics[0]} a343ddd8d56768db7911d363a2583bf97597c797",
    }
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=os.environ.get("ULTRALYTICS"),
                        help="the folder holding the ultralytics package (default $ULTRALYTICS)")
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    args = parser.parse_args()
    if not args.source or not os.path.isdir(os.path.join(args.source, "ultralytics")):
        parser.error("give the folder that holds the ultralytics package (or set $ULTRALYTICS)")
    unknown = set(args.case) - {c["name"] for c in CASES}
    if unknown:
        parser.error(f"no case {', '.join(sorted(unknown))}")
    torch.use_deterministic_algorithms(True)
    ultralytics = import_ultralytics(args.source)
    os.makedirs(args.out, exist_ok=True)
    for case in CASES:
        if args.case and case["name"] not in args.case:
            continue
        path = os.path.join(args.out, case["name"] + ".safetensors")
        write_safetensors(path, *run(case, ultralytics))
        print(f"{path}: {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
