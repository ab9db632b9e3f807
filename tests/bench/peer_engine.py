"""The peer's side of the engine benchmark: Ultralytics' own forward and
backward pass of the same YOLO26 detector (nc 3), same batch, same image
size, timed the same way (mean over STEPS after one warm-up step), on
PyTorch's CPU path with one thread per core.

usage: python3 peer_engine.py ULTRALYTICS_SOURCE SCALE IMGSZ BATCH STEPS
prints: images_per_s peak_rss_mb
"""
import os
import resource
import sys
import time


def total(outputs):
    """Every output that carries a gradient, summed, so backward reaches
    the whole graph the way a loss would."""
    import torch
    if torch.is_tensor(outputs):
        return outputs.float().mul(1e-3).sum() if outputs.requires_grad else 0
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    return sum(total(o) for o in outputs)


def main():
    source, scale, imgsz, batch, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    sys.path.insert(0, source)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import torch
    from ultralytics.nn.tasks import DetectionModel

    torch.set_num_threads(os.cpu_count())
    model = DetectionModel(f"yolo26{scale}.yaml", nc=3, verbose=False).train()
    images = torch.rand(batch, 3, imgsz, imgsz)
    start = 0.0
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()
        model.zero_grad(set_to_none=False)
        total(model(images)).backward()
    seconds = (time.perf_counter() - start) / steps
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{batch / seconds:.3f} {peak_mb:.0f}")


if __name__ == "__main__":
    main()
