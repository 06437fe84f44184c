#!/usr/bin/env python3
"""PyTorch-Python side of bench/TorchOps, started by the benchmark itself (same invocation). It serves measurement
requests on stdin so that the benchmark can interleave PyTorch and .NET trials (a shared machine's load then hits both
alike): "tiny N" times N adds and N/4 relu(a+b).sum() chains of 4-element tensors, "big" times one matmul +
cross-entropy forward/backward at (rows x hidden)·(hidden x vocab); each answer is one JSON line. torch uses as many
intra-op threads as the machine has cores."""
import argparse
import json
import os
import sys
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=50304)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count())
    device = torch.device(args.device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    a = torch.rand(4, device=device)
    b = torch.rand(4, device=device)
    for _ in range(1000):
        torch.add(a, b)
    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(args.rows, args.hidden, generator=g, device=device)
    w = torch.randn(args.hidden, args.vocab, generator=g, device=device).mul_(0.02).requires_grad_(True)
    target = torch.randint(0, args.vocab, (args.rows,), generator=g, device=device)
    reply({"torch": torch.__version__, "threads": torch.get_num_threads()})

    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        if command[0] == "tiny":
            n = int(command[1])
            sync()
            start = time.perf_counter()
            for _ in range(n):
                torch.add(a, b)
            sync()
            add_us = (time.perf_counter() - start) / n * 1e6
            start = time.perf_counter()
            for _ in range(n // 4):
                torch.relu(a + b).sum()
            sync()
            reply({"add_us": add_us, "chain_us": (time.perf_counter() - start) / (n // 4) * 1e6})
        elif command[0] == "big":
            sync()
            start = time.perf_counter()
            loss = torch.nn.functional.cross_entropy(x @ w, target)
            loss.backward()
            sync()
            elapsed = time.perf_counter() - start
            w.grad = None
            reply({"big_ms": elapsed * 1e3, "loss": loss.item()})
        else:
            reply({"error": f"unknown command {command[0]}"})


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
