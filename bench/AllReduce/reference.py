#!/usr/bin/env python3
"""PyTorch twin of bench/AllReduce (one rank; the driver starts one process per rank with MASTER_ADDR, MASTER_PORT, RANK,
WORLD_SIZE): the GPT-2-124M gradient set, bucketed exactly as MaskedSft's native all_reduce does (consecutive tensors of
one dtype up to --bucket-mb MiB; a bucket of one contiguous tensor is reduced in place, others are flattened with
torch.cat), every bucket's async all_reduce started before the first wait, then divide by the world size and copy back.
Rank 0 prints {"times_ms": [...]} as its last line."""
import argparse
import json
import os
import time

import torch
import torch.distributed as dist


def gpt2_shapes():
    d = 768
    shapes = [(50257, d), (1024, d)]
    for _ in range(12):
        shapes += [(d,), (d,), (d, 3 * d), (3 * d,), (d, d), (d,), (d,), (d,), (d, 4 * d), (4 * d,), (4 * d, d), (d,)]
    return shapes + [(d,), (d,)]


def make_buckets(tensors, cap):
    buckets, size = [], 0
    for t in tensors:
        nbytes = t.numel() * t.element_size()
        if buckets and cap > 0 and buckets[-1][0].dtype == t.dtype and size + nbytes <= cap:
            buckets[-1].append(t)
            size += nbytes
        else:
            buckets.append([t])
            size = nbytes
    return buckets


def all_reduce_average(buckets, world):
    flats = [b[0] if len(b) == 1 and b[0].is_contiguous() else torch.cat([t.reshape(-1) for t in b]) for b in buckets]
    works = [dist.all_reduce(f, async_op=True) for f in flats]
    for bucket, flat, work in zip(buckets, flats, works):
        work.wait()
        flat.div_(world)
        if flat is not bucket[0]:
            offset = 0
            for t in bucket:
                t.copy_(flat[offset:offset + t.numel()].view_as(t))
                offset += t.numel()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--bucket-mb", type=int, default=25)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    dist.init_process_group("gloo", rank=rank, world_size=world)
    g = torch.Generator().manual_seed(1000 + rank)
    grads = [torch.randn(s, generator=g) for s in gpt2_shapes()]
    buckets = make_buckets(grads, a.bucket_mb * 1024 * 1024)
    times = []
    with torch.no_grad():
        for i in range(a.warmup + a.steps):
            dist.barrier()
            start = time.perf_counter()
            all_reduce_average(buckets, world)
            if i >= a.warmup:
                times.append((time.perf_counter() - start) * 1e3)
    dist.destroy_process_group()
    if rank == 0:
        print(json.dumps({"times_ms": times, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
