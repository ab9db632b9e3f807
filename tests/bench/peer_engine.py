"""The peer's side of the engine benchmark: Ultralytics' own YOLO26
detector (nc 3), same batch, same image size, timed the same way (the
fastest of STEPS steps after one warm-up step), on PyTorch's CPU path with
one thread per core. Two timings:

  pass   forward and backward alone, outputs summed (what the engine's
         pass does);
  train  a whole training step as Ultralytics' trainer runs it: forward
         through the model's own loss (8 random boxes per image), backward,
         gradient clipping at 10, an AdamW step and the EMA update. Issue 5
         quotes this rate ("trains at") as the engine's yardstick.

usage: python3 peer_engine.py ULTRALYTICS_SOURCE SCALE IMGSZ BATCH STEPS
prints: pass_images_per_s train_images_per_s peak_rss_mb
"""
import os
import resource
import sys
import time

BOXES = 8


def total(outputs):
    """Every output that carries a gradient, summed, so backward reaches
    the whole graph the way a loss would."""
    import torch
    if torch.is_tensor(outputs):
        return outputs.float().mul(1e-3).sum() if outputs.requires_grad else 0
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    return sum(total(o) for o in outputs)


def timed(steps, step):
    """Seconds of the fastest step after the first."""
    best = float("inf")
    for i in range(steps + 1):
        start = time.perf_counter()
        step()
        if i > 0:
            best = min(best, time.perf_counter() - start)
    return best


def labels(torch, batch, nc):
    """BOXES boxes per image, normalised xywh inside the image."""
    g = torch.Generator().manual_seed(1)
    n = batch * BOXES
    wh = 0.05 + 0.3 * torch.rand(n, 2, generator=g)
    xy = wh / 2 + (1 - wh) * torch.rand(n, 2, generator=g)
    return {
        "batch_idx": torch.arange(batch).repeat_interleave(BOXES).float(),
        "cls": torch.randint(0, nc, (n, 1), generator=g).float(),
        "bboxes": torch.cat([xy, wh], 1),
    }


def main():
    source, scale, imgsz, batch, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    sys.path.insert(0, source)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import torch
    from ultralytics.cfg import get_cfg
    from ultralytics.nn.tasks import DetectionModel
    from ultralytics.utils.torch_utils import ModelEMA

    torch.set_num_threads(os.cpu_count())
    model = DetectionModel(f"yolo26{scale}.yaml", nc=3, verbose=False).train()
    images = torch.rand(batch, 3, imgsz, imgsz)

    def bare_pass():
        model.zero_grad(set_to_none=False)
        total(model(images)).backward()

    pass_seconds = timed(steps, bare_pass)

    model.args = get_cfg()
    targets = dict(labels(torch, batch, 3), img=images)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002, betas=(0.9, 0.999), weight_decay=5e-4)
    ema = ModelEMA(model)

    def train_step():
        loss, _ = model.loss(targets)
        loss.sum().backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        optimizer.step()
        optimizer.zero_grad()
        ema.update(model)

    train_seconds = timed(steps, train_step)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{batch / pass_seconds:.3f} {batch / train_seconds:.3f} {peak_mb:.0f}")


if __name__ == "__main__":
    main()
