"""The PIL twin of bench_data_pipeline: ImageNet pre-processing as torchvision
does it with PIL images (no draft mode), on the files and crops the C++ bench
lists in its manifest, one process, one thread.

Manifest lines: path x y w h flip resized_w resized_h crop_x crop_y
(train: crop (x, y, w, h) -> 224 x 224 bilinear, mirrored if flip;
 eval: resize to resized_w x resized_h bilinear, crop 224 at (crop_x, crop_y)).
Prints "train <images/s>", "eval <images/s>", "decode <images/s>" and writes
the first outputs as float32 [n, 3, 224, 224] to --dump for the bench to compare.
"""
import argparse
import io
import time

import numpy as np
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)
SIZE = 224


def to_tensor_normalize(img):
    # torchvision's ToTensor then Normalize, in numpy.
    chw = np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / 255.0
    return np.ascontiguousarray((chw - MEAN) / STD)


def train(data, entry):
    x, y, w, h, flip = entry[0:5]
    img = Image.open(io.BytesIO(data)).convert("RGB")
    img = img.crop((x, y, x + w, y + h)).resize((SIZE, SIZE), Image.BILINEAR)
    if flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return to_tensor_normalize(img)


def evaluate(data, entry):
    rw, rh, cx, cy = entry[5:9]
    img = Image.open(io.BytesIO(data)).convert("RGB")
    img = img.resize((rw, rh), Image.BILINEAR).crop((cx, cy, cx + SIZE, cy + SIZE))
    return to_tensor_normalize(img)


def decode(data, entry):
    return Image.open(io.BytesIO(data)).convert("RGB")


def rate(work, files, rounds):
    for data, entry in files[: min(len(files), 20)]:  # warm-up
        work(data, entry)
    start = time.perf_counter()
    for _ in range(rounds):
        for data, entry in files:
            work(data, entry)
    return rounds * len(files) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dump", default="")
    parser.add_argument("--dump-count", type=int, default=8)
    args = parser.parse_args()
    files = []
    with open(args.manifest) as manifest:
        for line in manifest:
            parts = line.split()
            with open(parts[0], "rb") as f:
                files.append((f.read(), [int(v) for v in parts[1:]]))
    if args.dump:
        n = min(args.dump_count, len(files))
        outputs = [train(d, e) for d, e in files[:n]] + [evaluate(d, e) for d, e in files[:n]]
        np.stack(outputs).astype(np.float32).tofile(args.dump)
    print(f"train {rate(train, files, args.rounds):.2f}", flush=True)
    print(f"eval {rate(evaluate, files, args.rounds):.2f}", flush=True)
    print(f"decode {rate(decode, files, args.rounds):.2f}", flush=True)


if __name__ == "__main__":
    main()
