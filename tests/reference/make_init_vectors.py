#!/usr/bin/python3
"""Digests of the initial weights Ultralytics builds, for the weight init (lib/nn/init.c).

    /usr/bin/python3 tests/reference/make_init_vectors.py [--out FILE] [ULTRALYTICS]

ULTRALYTICS (or $ULTRALYTICS) is the folder that holds the `ultralytics` package of upstream commit a343ddd8
(8.4.117), unpacked outside this repository. Needs Debian's python3-torch, python3-torchvision and python3-numpy.
Each case is a model as Ultralytics' trainer builds it for `seed=S`: torch.manual_seed(S), then the task's model
class from its YAML with nc classes. (The trainer seeds with seed + 1 + RANK, RANK -1 outside distributed
training, and builds nothing random before the model; that its model equals this one was checked once by dumping
the trainer's own, at its on_pretrain_routine_end.)

Output, tests/reference/vectors/init_digests.txt, one line each:
    case NAME YAML SCALE NC SEED          a case: the model's YAML under share/ul/models, its scale, classes, seed
    all HEX                               SHA-256 of every tensor below, in state-dict order, as little-endian
                                          float32 (parameters and running statistics; num_batches_tracked left out)
    NAME HEX16                            for the cases marked per_tensor: each tensor's own SHA-256, 16 digits
Only the numbers are Ultralytics'; PyTorch's CPU float uniform_ (mt19937 draws, 24 bits, a fused multiply-add
on its AVX2 build) decides them, so a build of torch without AVX2 would give others.
"""
import argparse
import hashlib
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# (name, yaml, scale, nc, seed, per_tensor)
CASES = [
    ("n_detect_3_seed0", "yolo26.yaml", "n", 3, 0, True),
    ("n_detect_80_seed1", "yolo26.yaml", "n", 80, 1, False),
    ("s_detect_3_seed2", "yolo26.yaml", "s", 3, 2, False),
    ("m_detect_3_seed0", "yolo26.yaml", "m", 3, 0, False),
    ("n_obb_3_seed0", "yolo26-obb.yaml", "n", 3, 0, False),
    ("n_classify_3_seed0", "yolo26-cls.yaml", "n", 3, 0, False),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ultralytics", nargs="?", default=os.environ.get("ULTRALYTICS"))
    parser.add_argument("--out", default=os.path.join(HERE, "vectors", "init_digests.txt"))
    a = parser.parse_args()
    if not a.ultralytics:
        sys.exit("make_init_vectors.py: give the folder that holds the ultralytics package (or set ULTRALYTICS)")
    sys.path.insert(0, a.ultralytics)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "0")
    settings = tempfile.TemporaryDirectory(prefix="ul-vectors-")
    os.environ.setdefault("YOLO_CONFIG_DIR", settings.name)
    import torch
    from ultralytics.nn.tasks import ClassificationModel, DetectionModel, OBBModel

    models = {"yolo26.yaml": DetectionModel, "yolo26-obb.yaml": OBBModel, "yolo26-cls.yaml": ClassificationModel}
    lines = []
    for name, yaml, scale, nc, seed, per_tensor in CASES:
        torch.manual_seed(seed)
        stem = yaml.replace("yolo26", f"yolo26{scale}")
        model = models[yaml](stem, nc=nc, verbose=False)
        whole = hashlib.sha256()
        tensors = []
        for key, value in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            data = value.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
            whole.update(data)
            tensors.append(f"{key} {hashlib.sha256(data).hexdigest()[:16]}")
        lines.append(f"case {name} {yaml} {scale} {nc} {seed}")
        lines.append(f"all {whole.hexdigest()}")
        if per_tensor:
            lines.extend(tensors)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{a.out}: {len(CASES)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
