#!/usr/bin/python3
"""PyTorch reference vectors for the optimizers (lib/train/optim.c): PyTorch's own torch.optim classes, and MuSGD
written from the formulas of ../shared/reference/yolo26.md section 5.3, not from Ultralytics' code.

    /usr/bin/python3 tests/reference/make_optim_vectors.py [--out DIR]

Needs Debian's python3-torch (1.13, the version the peer runs) and python3-numpy. One file per optimizer,
tests/reference/vectors/optim_<kind>.safetensors (format: see make_vectors.py): a small table of tensors named like a
model's state dict so that each lands in a different group, BatchNorm running statistics included as buffers, and
STEPS steps of the optimizer from the same initial parameters with a fresh random gradient each step, in float64,
every group's lr and momentum set before each step as Ultralytics' warmup does (lr from 0, or from 10 lr0 for the
bias groups, to its initial lr over the first WARMUP steps; momentum from 0.8 to the built one, only in groups that
have a "momentum" key, so never the Adam family's beta1). Inputs are float32 numbers; results are stored as float32.
NAdam is 1.13's own, whose mu_product_next is mu_product x mu x mu_next (PyTorch 2.0 dropped the second mu).

Groups, as Ultralytics builds them (trainer.py build_optimizer): 0 "weight" (decay), 1 "bn" (parameters of a module
with running statistics, or "logit_scale"; no decay), 2 "bias" (names holding "bias"; no decay). MuSGD puts every 2-
or 4-dimensional parameter in a 4th group "muon" (decay) and splits each group in two, the first with 3x lr for the
last layer's cv3 / one2one_cv3 and any proto.semseg: 8 groups [weight x3, weight, bn x3, bn, bias x3, bias, muon x3,
muon].

MuSGD (momentum mu, Nesterov, muon 0.2, sgd 1.0), in float64 here (Ultralytics runs Newton-Schulz in bfloat16):
non-muon tensors d = g + wd p, buf = mu buf + d, p -= lr (d + mu buf); muon tensors first m = mu m + (1 - mu) g,
u = mu m + (1 - mu) g as a (shape[0], rest) matrix, X = u / (|u|_F + 1e-7) taken wide (transposed when it has more
rows than columns), five times A = X X^T, X = a X + (b A + c A A) X with (a, b, c) = (3.4445, -4.7750, 2.0315), back
in u's orientation, p -= lr 0.2 sqrt(max(1, shape[-2] / shape[-1])) X; then the non-muon rule on the updated p with a
second buffer. The script checks its non-muon rule against torch.optim.SGD(nesterov=True) on the same tensors.

Entries, the parameters flattened in the layout of the table (metadata "tensors": parameters in order, buffers
left out, each row-major):
    params                   (P,) the initial parameters
    grads                    (STEPS, P) each step's gradient
    after                    (STEPS, P) the parameters after each step
    lr, momentum             (STEPS, groups) each group's value during each step (momentum as written, even where
                             the optimizer has no such key and ignores it)
__metadata__ (strings): kind, steps, lr0, momentum0 (as built), weight_decay, tensors (JSON list of [name, shape,
buffer] in table order, the parameters' layout), groups (JSON object: parameter name -> group index), group_names,
seed, torch, about.
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
STEPS, WARMUP = 7, 4  # 7 steps: RAdam's rectified rule first applies at step 6 (rho_t > 5)
WEIGHT_DECAY = 0.05  # well above Ultralytics' 5e-4, so that a decay mistake shows in the updates
GRAD_SCALE, PARAM_SCALE = 0.1, 0.1
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)

# name, shape: each in a group of its own kind; layer 9 is the head, so model.8.cv3 is not boosted
PARAMETERS = [
    ("model.0.conv.weight", (4, 2, 3, 3)),
    ("model.0.bn.weight", (4,)),
    ("model.0.bn.bias", (4,)),
    ("model.1.linear.weight", (10, 4)),  # more rows than columns: Newton-Schulz on its transpose, scale sqrt(10/4)
    ("model.1.linear.bias", (10,)),
    ("model.2.cv1.conv.weight", (4, 2, 3, 1)),  # a 3x1 kernel: scale sqrt(3)
    ("model.3.gamma", (4,)),
    ("model.3.logit_scale", (1,)),
    ("model.5.proto.semseg.0.weight", (3, 2, 1, 1)),
    ("model.8.cv3.0.weight", (2, 3, 1, 1)),
    ("model.9.cv2.0.weight", (4, 8, 1, 1)),
    ("model.9.cv3.0.weight", (6, 8, 1, 1)),
    ("model.9.cv3.0.bias", (6,)),
    ("model.9.cv3.1.bn.weight", (6,)),
    ("model.9.cv3.1.bn.bias", (6,)),
    ("model.9.cv3.2.gamma", (3,)),
]
NORM_MODULES = {"model.0.bn", "model.9.cv3.1.bn"}

# kind, lr0, momentum0: learning rates large enough that every tensor moves far beyond float32's rounding of it
CASES = [
    ("SGD", 0.1, 0.937),
    ("MuSGD", 0.1, 0.937),
    ("Adam", 0.01, 0.9),
    ("AdamW", 0.01, 0.9),
    ("NAdam", 0.01, 0.9),
    ("RAdam", 0.05, 0.9),  # its first five steps are plain momentum, lr x the average gradient
    ("RMSprop", 0.001, 0.937),
    ("Adamax", 0.01, 0.9),
]


def table():
    """[name, shape, buffer] in state-dict order: each norm module's running statistics after its parameters."""
    rows = []
    for name, shape in PARAMETERS:
        rows.append([name, list(shape), False])
        module, leaf = name.rsplit(".", 1)
        if module in NORM_MODULES and leaf == "bias":
            rows += [[f"{module}.running_mean", list(shape), True], [f"{module}.running_var", list(shape), True],
                     [f"{module}.num_batches_tracked", [], True]]
    return rows


def group_of(name, ndim, use_muon):
    """Ultralytics' grouping (yolo26.md 5.2), from the names alone."""
    module = name.rsplit(".", 1)[0]
    if use_muon and ndim in (2, 4):
        base = 3
    elif "bias" in name:
        base = 2
    elif module in NORM_MODULES or "logit_scale" in name:
        base = 1
    else:
        base = 0
    if not use_muon:
        return base
    head = max(int(n.split(".")[1]) for n, _ in PARAMETERS)
    boosted = name.startswith((f"model.{head}.cv3.", f"model.{head}.one2one_cv3.")) or "proto.semseg" in name
    return 2 * base + (0 if boosted else 1)


def initial_params(rng):
    """Small, BatchNorm weights too: float32's rounding of a parameter, which no float32 optimizer escapes, then
    stays far below the distance it moves (the C test measures errors against that distance)."""
    return {name: rng.uniform(-PARAM_SCALE, PARAM_SCALE, shape).astype(np.float32) for name, shape in PARAMETERS}


def random_grads(rng):
    """Normal, but the first element of every 1-D tensor of several 1e-8 times smaller: next to eps 1e-8, so that
    where each optimizer adds its eps shows."""
    grads = {}
    for name, shape in PARAMETERS:
        g = GRAD_SCALE * rng.standard_normal(shape)
        if len(shape) == 1 and shape[0] > 1:
            g[0] *= 1e-8
        grads[name] = g.astype(np.float32)
    return grads


def schedule(kind, lr0, momentum0, ngroups, boosted, bias):
    """lr and momentum (STEPS, groups): Ultralytics' warmup interpolation, then flat."""
    lr, momentum = np.zeros((STEPS, ngroups)), np.zeros((STEPS, ngroups))
    for k in range(STEPS):
        for j in range(ngroups):
            initial = lr0 * (3 if boosted[j] else 1)
            lr[k, j] = np.interp(k, [0, WARMUP], [10 * lr0 if bias[j] else 0.0, initial])
            momentum[k, j] = np.interp(k, [0, WARMUP], [0.8, momentum0])
    return lr, momentum


def newton_schulz(u):
    x = u / (np.linalg.norm(u) + 1e-7)
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    a, b, c = NS_COEFFICIENTS
    for _ in range(5):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def musgd(params, grads, groups, lr, momentum):
    """MuSGD in float64: params {name: array}, grads [{name: array}] per step; returns the params after each step."""
    p = {n: v.astype(np.float64) for n, v in params.items()}
    buf = {n: np.zeros_like(v) for n, v in p.items()}
    buf_sgd = {n: np.zeros_like(v) for n, v in p.items()}
    after = []
    for k, step_grads in enumerate(grads):
        for name, shape in PARAMETERS:
            j = groups[name]
            g, mu = step_grads[name].astype(np.float64), momentum[k, j]
            decay = WEIGHT_DECAY if j // 2 in (0, 3) else 0.0
            sgd_buf = buf
            if j // 2 == 3:
                buf[name] = mu * buf[name] + (1 - mu) * g
                u = (mu * buf[name] + (1 - mu) * g).reshape(shape[0], -1)
                scale = math.sqrt(max(1, shape[-2] / shape[-1]))
                p[name] = p[name] - lr[k, j] * 0.2 * scale * newton_schulz(u).reshape(shape)
                sgd_buf = buf_sgd
            d = g + decay * p[name]
            sgd_buf[name] = mu * sgd_buf[name] + d
            p[name] = p[name] - lr[k, j] * 1.0 * (d + mu * sgd_buf[name])
        after.append({n: v.copy() for n, v in p.items()})
    return after


def torch_optimizer(kind, groups_params, lr0, momentum0, ngroups):
    decays = [WEIGHT_DECAY, 0.0, 0.0]
    if kind in ("Adam", "AdamW", "NAdam", "RAdam", "Adamax"):
        common = {"lr": lr0, "betas": (momentum0, 0.999)}
    elif kind == "RMSprop":
        common = {"lr": lr0, "momentum": momentum0}
    else:
        common = {"lr": lr0, "momentum": momentum0, "nesterov": True}
    groups = [{"params": groups_params[j], **common, "weight_decay": decays[j % 3]} for j in range(ngroups)]
    return getattr(torch.optim, kind)(groups)


def run_torch(kind, params, grads, groups, lr, momentum, lr0, momentum0, names=None, decays=None):
    """PyTorch's optimizer over the tensors of `names` (all by default); the params after each step."""
    names = names or [n for n, _ in PARAMETERS]
    leaves = {n: torch.tensor(params[n], dtype=torch.float64, requires_grad=True) for n in names}
    ngroups = max(groups[n] for n in names) + 1
    members = [[leaves[n] for n in names if groups[n] == j] for j in range(ngroups)]
    opt = torch_optimizer(kind, members, lr0, momentum0, ngroups)
    if decays is not None:
        for j, group in enumerate(opt.param_groups):
            group["weight_decay"] = decays[j]
    after = []
    for k, step_grads in enumerate(grads):
        for j, group in enumerate(opt.param_groups):
            group["lr"] = lr[k, j]
            if "momentum" in group:
                group["momentum"] = momentum[k, j]
        for n in names:
            leaves[n].grad = torch.tensor(step_grads[n], dtype=torch.float64)
        opt.step()
        after.append({n: leaves[n].detach().numpy().copy() for n in names})
    return after


def check_sgd_part(params, grads, groups, lr, momentum, lr0, momentum0, after):
    """MuSGD's non-muon tensors follow torch.optim.SGD(nesterov=True) with the same groups."""
    names = [n for n, _ in PARAMETERS if groups[n] // 2 != 3]
    remap = {n: groups[n] for n in names}  # groups 0..5 keep their index
    decays = [WEIGHT_DECAY if j // 2 == 0 else 0.0 for j in range(6)]
    ref = run_torch("SGD", params, grads, remap, lr, momentum, lr0, momentum0, names, decays)
    worst = max(np.abs(ref[k][n] - after[k][n]).max() for k in range(STEPS) for n in names)
    assert worst < 1e-12, f"MuSGD's SGD rule differs from torch.optim.SGD by {worst}"


def flat(values):
    return np.concatenate([np.ravel(values[n]) for n, _ in PARAMETERS])


def run(kind, lr0, momentum0, seed):
    rng = np.random.default_rng(seed)
    use_muon = kind == "MuSGD"
    groups = {n: group_of(n, len(s), use_muon) for n, s in PARAMETERS}
    ngroups = 8 if use_muon else 3
    names = ["weight", "bn", "bias", "muon"]
    group_names = [names[j // 2] for j in range(8)] if use_muon else names[:3]
    boosted = [use_muon and j % 2 == 0 for j in range(ngroups)]
    lr, momentum = schedule(kind, lr0, momentum0, ngroups, boosted, [g == "bias" for g in group_names])
    params = initial_params(rng)
    grads = [random_grads(rng) for _ in range(STEPS)]
    if use_muon:
        after = musgd(params, grads, groups, lr, momentum)
        check_sgd_part(params, grads, groups, lr, momentum, lr0, momentum0, after)
    else:
        after = run_torch(kind, params, grads, groups, lr, momentum, lr0, momentum0)
    tensors = [("params", flat(params)), ("grads", np.stack([flat(g) for g in grads])),
               ("after", np.stack([flat(a) for a in after])), ("lr", lr), ("momentum", momentum)]
    metadata = {
        "kind": kind, "steps": str(STEPS), "lr0": repr(lr0), "momentum0": repr(momentum0),
        "weight_decay": repr(WEIGHT_DECAY), "tensors": json.dumps(table()), "groups": json.dumps(groups),
        "group_names": json.dumps(group_names), "seed": str(seed), "torch": torch.__version__,
        "about": "optimizer steps with warmup-style lr and momentum; see make_optim_vectors.py",
    }
    return tensors, metadata


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "vectors"))
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64)  # the optimizers' own scalars (step, NAdam's mu_product) in float64 too
    for seed, (kind, lr0, momentum0) in enumerate(CASES):
        path = os.path.join(args.out, f"optim_{kind.lower()}.safetensors")
        write_safetensors(path, *run(kind, lr0, momentum0, seed))
        print(path)


if __name__ == "__main__":
    main()
