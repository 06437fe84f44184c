#!/usr/bin/env python3
"""Python side of the HardExamples benchmark: the heap-based reference tracker on the stream the C# side wrote.

Usage: python3 bench_tracker.py STREAM_DIR CAPACITY QUANTILE LOG_INTERVAL THUMBNAILS MEMORY_MODE(0/1)
THUMBNAILS: 0 none, 1 PIL PNG of pooled 64x64 images, 2 torch F.interpolate (area) of 128x128 images to 64x64, then PIL PNG.
Prints one JSON line: microseconds per step (mean, median), the final buffer (key, loss) and, in memory mode,
tracemalloc's bytes retained by the tracker after 1e5 samples and at the end.
"""
import io
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_tracker import PyHardExampleTracker  # noqa: E402


def main():
    directory, capacity, quantile, log_interval, thumbnails, memory_mode = sys.argv[1:7]
    capacity, quantile, log_interval = int(capacity), float(quantile), int(log_interval)
    thumbnails, memory_mode = int(thumbnails), memory_mode == "1"
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    steps, batch = meta["steps"], meta["batch"]
    losses = np.fromfile(os.path.join(directory, "losses.f32"), dtype="<f4").reshape(steps, batch)
    key_ids = np.fromfile(os.path.join(directory, "key_ids.i32"), dtype="<i4").reshape(steps, batch)
    tokens = np.fromfile(os.path.join(directory, "tokens.i32"), dtype="<i4").reshape(meta["token_rows"], meta["token_length"])
    side = meta["image_side"]
    images = np.fromfile(os.path.join(directory, "images.u8"), dtype=np.uint8).reshape(meta["image_pool"], side, side, 3)
    keys, vocab = meta["keys"], meta["vocabulary"]
    token_rows = [list(map(int, row)) for row in tokens]
    image = None
    if thumbnails:
        from PIL import Image
        image = Image
    if thumbnails == 2:
        import torch
        import torch.nn.functional as F
        torch.set_num_threads(1)
        src = meta["source_side"]
        images128 = np.fromfile(os.path.join(directory, "images128.u8"), dtype=np.uint8).reshape(meta["image_pool"], src, src, 3)

        def resized(k):
            nchw = torch.from_numpy(images128[k]).to(torch.float32).permute(2, 0, 1).unsqueeze(0)
            out = F.interpolate(nchw, size=(side, side), mode="area")
            return out.squeeze(0).permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).contiguous().numpy()

    key_lists = [[keys[k] for k in row] for row in key_ids.tolist()]
    loss_lists = [row for row in losses]

    if memory_mode:
        import tracemalloc
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]

    tracker = PyHardExampleTracker(capacity, quantile)
    times = []
    at_1e5 = None
    for step in range(steps):
        row_keys, row_ids, row_losses = key_lists[step], key_ids[step], loss_lists[step]

        def payload(i, step=step, row_ids=row_ids):
            k = int(row_ids[i])
            text = " ".join(vocab[t] for t in token_rows[k % len(token_rows)] if t > 2)
            p = {"text": text, "global_index": step * batch + i}
            if image is not None:
                buf = io.BytesIO()
                pixels = resized(k % len(images)) if thumbnails == 2 else images[k % len(images)]
                image.fromarray(pixels).save(buf, "PNG")
                p["thumbnail"] = buf.getvalue()
            return p

        t0 = time.perf_counter()
        tracker.update_losses(step, row_losses)
        tracker.add_examples(step, row_losses, row_keys, payload)
        if step % log_interval == 0:
            tracker.snapshot(step)
        if not memory_mode:
            times.append(time.perf_counter() - t0)
        if memory_mode and at_1e5 is None and (step + 1) * batch >= 100_000:
            at_1e5 = tracemalloc.get_traced_memory()[0] - base
    times.sort()
    cut = len(times) // 20
    result = {
        "mean_us": statistics.fmean(times[cut:len(times) - cut]) * 1e6 if times else None,
        "median_us": statistics.median(times) * 1e6 if times else None,
        "buffer": [[k, e["loss"]] for k, e in tracker.sorted_entries()],
        "total_seen": tracker.total_seen,
    }
    if memory_mode:
        result["bytes_at_1e5"] = at_1e5
        result["bytes_at_end"] = tracemalloc.get_traced_memory()[0] - base
    print(json.dumps(result))


if __name__ == "__main__":
    main()
