"""The peer's side of the loader benchmark: Ultralytics' own training
dataset (YOLODataset with v8_transforms, default hyperparameters: mosaic 1,
random perspective, HSV, horizontal flip) over coco128, one process, one
thread, images taken one by one as a DataLoader worker takes them, timed
after a warm-up pass that fills OpenCV's and the OS's caches.

usage: python3 peer_loader.py ULTRALYTICS_SOURCE COCO128_DIR IMGSZ IMAGES
prints: images_per_s
"""
import os
import shutil
import sys
import tempfile
import time


def main():
    source, coco128, imgsz, images = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sys.path.insert(0, source)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    import cv2

    cv2.setNumThreads(0)
    from ultralytics.cfg import get_cfg
    from ultralytics.data.build import build_yolo_dataset

    # a copy: Ultralytics writes its label cache beside the labels
    work = tempfile.mkdtemp()
    try:
        shutil.copytree(coco128, os.path.join(work, "coco128"))
        root = os.path.join(work, "coco128")
        cfg = get_cfg(overrides={"imgsz": imgsz, "task": "detect", "mode": "train"})
        data = {"path": root, "names": {i: str(i) for i in range(80)}, "nc": 80, "channels": 3}
        dataset = build_yolo_dataset(cfg, os.path.join(root, "images", "train"), 16, data, mode="train")
        n = len(dataset)
        for i in range(min(n, 32)):
            dataset[i]
        start = time.perf_counter()
        for i in range(images):
            dataset[i % n]
        print(f"{images / (time.perf_counter() - start):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
