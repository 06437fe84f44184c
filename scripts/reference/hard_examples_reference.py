#!/usr/bin/env python3
"""Reference values for the hard-example tests, from numpy, PIL and the Python reference tracker.

Run with Debian's python3 (numpy 1.24, PIL 9.4):
  /usr/bin/python3 scripts/reference/hard_examples_reference.py test/MaskedSft.MLNet.Tests/Fixtures/HardExamples

Writes:
- quantiles.json: seeded loss arrays and np.quantile(values, q) (linear interpolation) for several q.
- tracker_stream.json: a seeded stream of (step, losses, keys) with snapshot steps, and the snapshots the Python
  reference tracker (bench/HardExamples/reference_tracker.py) produced for it.
- pil_rgb.png, pil_gray.png, pil_rgba.png: images encoded by PIL, and png_reference.json with their pixels (hex).
"""
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "HardExamples"))
from reference_tracker import PyHardExampleTracker  # noqa: E402


def quantiles(out):
    rng = np.random.default_rng(1234)
    cases = []
    for n in (1, 2, 5, 16, 257, 1000):
        values = np.where(rng.random(n) < 0.12, rng.uniform(3, 10, n), rng.uniform(0.5, 2, n)).astype(np.float32)
        qs = [0.0, 0.1, 0.5, 0.9, 0.95, 0.999, 1.0]
        cases.append({"values": [float(v) for v in values], "quantiles": qs,
                      "expected": [float(np.quantile(values.astype(np.float64), q)) for q in qs]})
    with open(os.path.join(out, "quantiles.json"), "w") as f:
        json.dump({"generator": f"numpy {np.__version__}", "cases": cases}, f)


def tracker_stream(out):
    rng = np.random.default_rng(99)
    capacity, quantile, batch = 12, 0.8, 24
    tracker = PyHardExampleTracker(capacity, quantile)
    steps, snapshots = [], []
    for step in range(60):
        keys = [f"ep{int(k):03d}" for k in rng.integers(0, 90, batch)]
        # Quantized losses create ties; some keys repeat with different losses; a few NaNs.
        losses = np.round(np.where(rng.random(batch) < 0.15, rng.uniform(3, 10, batch), rng.uniform(0.5, 2, batch)) * 8) / 8
        losses = losses.astype(np.float32)
        if step % 17 == 5:
            losses[3] = np.nan
        tracker.update_losses(step, losses)
        tracker.add_examples(step, losses, keys)
        steps.append({"step": step, "losses": [None if np.isnan(v) else float(v) for v in losses], "keys": keys})
        if step % 15 == 14:
            snapshots.append(tracker.snapshot(step))
    with open(os.path.join(out, "tracker_stream.json"), "w") as f:
        json.dump({"capacity": capacity, "quantile": quantile, "snapshot_every": 15, "steps": steps,
                   "snapshots": snapshots, "total_seen": tracker.total_seen, "total_admitted": tracker.total_admitted}, f)


def pngs(out):
    h, w = 37, 53
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 7 + y * 13) % 256, (x * y) % 256, (255 - x * 3 + y) % 256], axis=-1).astype(np.uint8)
    images = {"pil_rgb.png": (Image.fromarray(rgb, "RGB"), rgb),
              "pil_gray.png": (Image.fromarray(rgb[:, :, 0], "L"), rgb[:, :, :1]),
              "pil_rgba.png": (Image.fromarray(np.concatenate([rgb, ((x + y) % 256).astype(np.uint8)[..., None]], -1), "RGBA"), None)}
    expected = {}
    for name, (img, arr) in images.items():
        img.save(os.path.join(out, name), optimize=True)
        pixels = np.asarray(Image.open(os.path.join(out, name)))
        pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
        expected[name] = {"height": int(pixels.shape[0]), "width": int(pixels.shape[1]), "channels": int(pixels.shape[2]),
                          "hex": pixels.tobytes().hex()}
    with open(os.path.join(out, "png_reference.json"), "w") as f:
        json.dump({"generator": f"PIL {Image.__version__}", "images": expected}, f)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "test/MaskedSft.MLNet.Tests/Fixtures/HardExamples"
    os.makedirs(out, exist_ok=True)
    quantiles(out)
    tracker_stream(out)
    pngs(out)
    print(f"wrote quantiles.json, tracker_stream.json, png_reference.json and 3 PNGs to {out}")
