#!/usr/bin/env python3
"""PyTorch-Python side of bench/TorchOps: the same work as Program.cs, timed the same way, printed as one JSON line.
Started by the benchmark itself (same invocation); torch uses as many intra-op threads as the machine has cores."""
import argparse
import json
import os
import time

import torch


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--tiny-iterations", type=int, default=200000)
    ap.add_argument("--big-reps", type=int, default=2)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=50304)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    device = torch.device(args.device)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}

    a = torch.rand(4, device=device)
    b = torch.rand(4, device=device)
    for _ in range(1000):
        torch.add(a, b)
    # The machine may be shared: each tiny measurement is the best of several trials.
    n = args.tiny_iterations // args.trials
    best = float("inf")
    for _ in range(args.trials):
        sync(device)
        start = time.perf_counter()
        for _ in range(n):
            torch.add(a, b)
        sync(device)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    result["add_us"] = best

    best = float("inf")
    for _ in range(args.trials):
        sync(device)
        start = time.perf_counter()
        for _ in range(n // 4):
            torch.relu(a + b).sum()
        sync(device)
        best = min(best, (time.perf_counter() - start) / (n // 4) * 1e6)
    result["chain_us"] = best

    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(args.rows, args.hidden, generator=g, device=device)
    w = torch.randn(args.hidden, args.vocab, generator=g, device=device).mul_(0.02).requires_grad_(True)
    target = torch.randint(0, args.vocab, (args.rows,), generator=g, device=device)
    times = []
    for rep in range(args.big_reps + 1):
        sync(device)
        start = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(x @ w, target)
        loss.backward()
        sync(device)
        if rep > 0:
            times.append(time.perf_counter() - start)
        w.grad = None
    result["big_ms"] = min(times) * 1e3
    result["big_loss"] = loss.item()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
