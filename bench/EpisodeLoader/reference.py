"""PyTorch reference of the EpisodeLoader benchmark: the same batch assembly with numpy memmap + torch.

Reads an episode dataset (docs/episode-dataset-format.md) through numpy.memmap, builds the same samples (SplitIntoWindows),
visits them in the same documented order (SplitMix64 -> xoshiro256** -> Fisher-Yates), fills preallocated int64 X/Y and
float32 mask arrays shared with torch tensors (torch.from_numpy), and prints one `RESULT {json}` line with throughput,
memory (/proc/self/status) and a checksum of the first batches that must equal the C# loader's.
Run by bench/EpisodeLoader (C#) with /usr/bin/python3 (Debian python3-torch 1.13, numpy).
"""
import argparse
import json
import os
import time

import numpy as np
import torch

MASK64 = (1 << 64) - 1
ENTRY = np.dtype([("offset", "<i8"), ("length", "<i4"), ("split", "u1"), ("flags", "u1"), ("reserved", "<u2"),
                  ("key", "<u8"), ("group", "<i8"), ("score", "<f8")])
assert ENTRY.itemsize == 40


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class Xoshiro256StarStar:
    def __init__(self, seed):
        state = seed & MASK64
        words = []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            words.append(mix64(state))
        self.s = words

    @staticmethod
    def for_epoch(seed, epoch):
        return Xoshiro256StarStar(seed ^ mix64((epoch + 0x6A09E667F3BCC909) & MASK64))

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (((((s1 * 5) & MASK64) << 7 | ((s1 * 5) & MASK64) >> 57) & MASK64) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK64
        self.s = [s0, s1, s2, s3]
        return result

    def bounded(self, n):
        m = self.next() * n
        low = m & MASK64
        if low < n:
            threshold = ((1 << 64) - n) % n
            while low < threshold:
                m = self.next() * n
                low = m & MASK64
        return m >> 64


def status_kb():
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--block", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--checksum-batches", type=int, default=64)
    args = parser.parse_args()
    B, T = args.batch, args.block
    torch.set_num_threads(1)

    with open(os.path.join(args.directory, "dataset.json")) as f:
        header = json.load(f)
    assert header["magic"] == "MaskedSft.EpisodeDataset" and header["formatVersion"] == 1
    assert header["tokenType"] == "uint16"
    pad = header["padId"]
    tokens = np.memmap(os.path.join(args.directory, "tokens.bin"), dtype=np.uint16, mode="r")
    mask = np.memmap(os.path.join(args.directory, "mask.bin"), dtype=np.uint8, mode="r")
    raw = np.memmap(os.path.join(args.directory, "index.bin"), dtype=np.uint8, mode="r")
    assert bytes(raw[:8]) == b"MSEPIDX\0"
    index = np.memmap(os.path.join(args.directory, "index.bin"), dtype=ENTRY, mode="r", offset=32, shape=(header["episodeCount"],))

    # Samples: train episodes in index order; windows starting at 0, T, 2T, ... with min(T, targets - start) targets.
    train = index[index["split"] == 0]
    targets = train["length"].astype(np.int64) - 1
    keep = targets > 0
    offsets, targets = train["offset"][keep], targets[keep]
    windows = (targets + T - 1) // T
    first = np.repeat(np.cumsum(windows) - windows, windows)
    starts = (np.arange(windows.sum()) - first) * T
    sample_offset = np.repeat(offsets, windows) + starts
    sample_targets = np.minimum(T, np.repeat(targets, windows) - starts)
    n = len(sample_offset)
    batches_per_epoch = n // B

    def order_of(epoch):
        order = list(range(n))
        rng = Xoshiro256StarStar.for_epoch(args.seed, epoch)
        for i in range(n - 1, 0, -1):
            j = rng.bounded(i + 1)
            order[i], order[j] = order[j], order[i]
        return np.array(order, dtype=np.int64)

    x = torch.empty((B, T), dtype=torch.int64)  # (B, T)
    y = torch.empty((B, T), dtype=torch.int64)  # (B, T)
    m = torch.empty((B, T), dtype=torch.float32)  # (B, T)
    xn, yn, mn = x.numpy(), y.numpy(), m.numpy()

    def fill(order, b):
        real = 0
        for r in range(B):
            s = order[b * B + r]
            o, c = sample_offset[s], sample_targets[s]
            xn[r, :c] = tokens[o:o + c]
            xn[r, c:] = pad
            yn[r, :c] = tokens[o + 1:o + c + 1]
            yn[r, c:] = -100
            mn[r, :c] = mask[o + 1:o + c + 1]
            mn[r, c:] = 0
            real += int(c)
        return x, y, m, real

    order0 = order_of(0)
    weights = np.arange(1, B * T + 1, dtype=np.uint64)
    checksum = 0
    for b in range(min(args.checksum_batches, batches_per_epoch)):
        bx, by, bm, _ = fill(order0, b)
        values = (bx.numpy() + 3 * by.numpy() + 7 * bm.numpy().astype(np.int64)).reshape(-1).astype(np.uint64)
        checksum = (checksum + (b + 1) * int(np.sum(values * weights, dtype=np.uint64))) & MASK64

    for b in range(min(20, batches_per_epoch)):
        fill(order0, b)

    batches = 0
    real_targets = 0
    start = time.perf_counter()
    epoch, order, position = 0, order0, 0
    while time.perf_counter() - start < args.seconds:
        if position == batches_per_epoch:
            epoch, position = epoch + 1, 0
            order = order_of(epoch)
        _, _, _, real = fill(order, position)
        position += 1
        batches += 1
        real_targets += real
    seconds = time.perf_counter() - start
    mem = status_kb()
    print("RESULT " + json.dumps({
        "tokens": int(header["tokenCount"]),
        "samples": n,
        "batches": batches,
        "epochFraction": batches / max(batches_per_epoch, 1),
        "seconds": seconds,
        "slotTokensPerSecond": batches * B * T / seconds,
        "targetsPerSecond": real_targets / seconds,
        "checksum": f"{checksum:016X}",
        "rssAnonMB": mem.get("RssAnon", 0) / 1024,
        "rssFileMB": mem.get("RssFile", 0) / 1024,
        "rssMB": mem.get("VmRSS", 0) / 1024,
        "peakRssMB": mem.get("VmHWM", 0) / 1024,
        "torch": torch.__version__,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
