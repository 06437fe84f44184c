#!/usr/bin/env python3
"""Reads the JSON lines of bench/GpuTrainStep (ours and the PyTorch anchors) and prints tokens/s, peak memory, MFU and
the ratios against the eager and compiled anchors. MFU = tokens/s x (6 N + 12 L T C) / peak bf16 FLOP/s, N = parameters
without the position embeddings (nanoGPT's estimate; the JSON's mfu_params when given: a pretrained model's parameters,
a tied head counted once), C the attention width (attn_width when given); --peak-tflops is the GPU's dense bf16 peak (H200/H100 SXM: 989)."""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    for model in dict.fromkeys(r["model"] for r in rows):
        group = [r for r in rows if r["model"] == model]
        anchors = {r["side"]: r for r in group if r["side"].startswith("pytorch-")}
        print(f"\n{model}  B{group[0]['batch']} T{group[0]['seq']}")
        print(f"{'side':<26}{'tok/s':>11}{'peak GiB':>10}{'MFU':>7}{'vs eager tok/s':>16}{'vs compiled tok/s':>19}{'vs compiled mem':>17}")
        for r in group:
            n = r.get("mfu_params", r["params"] - r["seq"] * r["width"])
            flops = 6 * n + 12 * r["layers"] * r["seq"] * r.get("attn_width", r["width"])
            mfu = r["tokens_per_s"] * flops / (a.peak_tflops * 1e12)
            def ratio(side, key):
                ref = anchors.get(side)
                return f"{r[key] / ref[key]:.2f}x" if ref and ref[key] else "-"
            print(f"{r['side']:<26}{r['tokens_per_s']:>11,.0f}{r['peak_bytes'] / 2**30:>10.2f}{mfu:>7.1%}"
                  f"{ratio('pytorch-eager', 'tokens_per_s'):>16}{ratio('pytorch-compiled', 'tokens_per_s'):>19}{ratio('pytorch-compiled', 'peak_bytes'):>17}")


if __name__ == "__main__":
    main()
