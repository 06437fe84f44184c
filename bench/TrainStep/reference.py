#!/usr/bin/python3
"""PyTorch-Python twin of bench/TrainStep: one training step (forward, masked loss, backward, clip, AdamW) of the tiny GPT.

Usage: /usr/bin/python3 bench/TrainStep/reference.py LAYERS EMBD HEADS VOCAB B T WARMUP STEPS THREADS
Prints one JSON line: {"median_ms": .., "mean_ms": .., "min_ms": .., "loss": ..}. The model is the one of
scripts/reference/model_reference.py (the same architecture as MaskedSft.MLNet.Models.TinyGpt).
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "reference"))
from model_reference import Gpt, masked_loss  # noqa: E402


def main():
    layers, embd, heads, vocab, b, t, warmup, steps, threads = (int(a) for a in sys.argv[1:10])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = {"n_layer": layers, "n_head": heads, "n_embd": embd, "block_size": t, "vocab_size": vocab, "bias": True,
           "dropout": 0.0}
    model = Gpt(cfg)
    for name, p in model.named_parameters():
        with torch.no_grad():
            if name.endswith(".bias"):
                p.zero_()
            elif ".ln_" in name or "ln_f" in name:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, vocab, (b, t), generator=g)
    y = torch.randint(0, vocab, (b, t), generator=g)
    mask = (torch.rand(b, t, generator=g) < 0.5).to(torch.float32)
    times = []
    loss = None
    for i in range(warmup + steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = masked_loss(model(x), y, mask)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        elapsed = (time.perf_counter() - start) * 1000.0
        if i >= warmup:
            times.append(elapsed)
    print(json.dumps({"median_ms": statistics.median(times), "mean_ms": statistics.fmean(times), "min_ms": min(times),
                      "loss": float(loss.item())}))


if __name__ == "__main__":
    main()
