#!/usr/bin/env python3
"""Summarises Chrome traces of bench/GpuTrainStep steps (ours: `--profile`, TorchProfiler / libtorch's Kineto; PyTorch:
reference.py --profile, torch.profiler) side by side, per training step: GPU kernel time, wall time, GPU idle share,
kernel time by category and the top kernels by time. Every trace must hold the same number of steps (--steps).

  python3 profile_summary.py --steps 3 ours=ours.json.gz pytorch-eager=eager.json pytorch-compiled=compiled.json.gz

Definitions (per step = the trace's totals / --steps):
  kernel ms   sum of the durations of GPU kernels (trace category "kernel"); copies/memsets ("gpu_memcpy",
              "gpu_memset") are in the category "copies/casts" and in "GPU busy" but not in "kernel ms"
  GPU span    first GPU activity's start to the last one's end; GPU busy = the union of the activities' intervals
  idle share  1 - busy / span (gaps between kernels: launch latency, host work, syncs)
  wall        the whole trace's span (profiler start to stop, host events included)
  launches    cudaLaunchKernel / cuLaunchKernel(Ex) / cudaLaunchKernelExC runtime calls
Categories are matched on kernel names in the order of CATEGORIES (first match wins)."""
import argparse
import gzip
import json
import re
import sys
from collections import defaultdict

CATEGORIES = [
    ("attention fwd (flash/SDPA)", r"flash_fwd|fmha.*(fwd|cutlassF)|sdpa.*(fwd|fprop)|attention.*fwd"),
    ("attention bwd (flash/SDPA)", r"flash_bwd|fmha.*(bwd|cutlassB)|sdpa.*(bwd|bprop)|attention.*bwd|cudnn::fusion::(compute_dot_do_o|convert_dq)"),
    ("triton (Inductor fused)", r"^triton_|^triton"),
    ("GEMM (cuBLAS/cutlass)", r"gemm|nvjet|cutlass|cublas|xmma|wgmma|sm90_|sm80_|ampere_|Kernel2|splitKreduce"),
    ("layer_norm fwd", r"layer_norm(?!.*(grad|backward|bwd))|LayerNormForward|RowwiseMoments|LayerNormFusedForward"),
    ("layer_norm bwd", r"layer_norm.*(grad|backward|bwd)|LayerNorm.*Backward|GammaBeta|compute_gI|ComputeInternalGradients"),
    ("softmax/CE/log_softmax/nll", r"softmax|SoftMax|nll_loss|cross_entropy|CrossEntropy|logsumexp|log_softmax"),
    ("grad-norm clip (foreach norm)", r"LpNorm|lpnorm|norm_kernel|NormTwo|NormOne"),
    ("optimizer (adam/foreach)", r"adam|Adam|multi_tensor_apply"),
    ("GELU", r"[Gg]elu|GELU"),
    ("embedding/index", r"embedding|Embedding|index_select|indexSelect|indexing_backward|index_put|scatter|gather|IndexKernel|index_elementwise"),
    ("copies/casts (to/copy_)", r"copy|Copy|Memcpy|Memset|memcpy|memset|CatArray|cast"),
    ("fill/zero", r"FillFunctor|fill_kernel|zero"),
    ("reductions", r"reduce_kernel|reduce|Reduce|sum_kernel"),
    ("elementwise (add/mul/other)", r"elementwise|Functor|pointwise"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
# What an Inductor (triton_*) kernel fused, from its name (Inductor names kernels after the aten ops they fuse).
TRITON_PARTS = [
    ("CE: log_softmax/nll", r"softmax|nll|cross_entropy|logsumexp"),
    ("layer_norm", r"layer_norm"),
    ("gelu", r"gelu"),
    ("embedding", r"embedding"),
    ("sum/reduction", r"_sum|sum_|mean"),
    ("add/mul/cast", r"add|mul|_to_copy|clone|view|where|fill"),
]
LAUNCHES = {"cudaLaunchKernel", "cuLaunchKernel", "cuLaunchKernelEx", "cudaLaunchKernelExC", "cudaLaunchCooperativeKernel"}


def category(name, cat):
    if cat in ("gpu_memcpy", "gpu_memset"):
        return "copies/casts (to/copy_)"
    for label, pattern in COMPILED:
        if pattern.search(name):
            return label
    return "other"


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        data = json.load(f)
    return data["traceEvents"] if isinstance(data, dict) else data


def short(name, width=110):
    name = re.sub(r"^void ", "", name)
    return name if len(name) <= width else name[: width - 3] + "..."


def summarise(path, steps):
    events = [e for e in load(path) if e.get("ph") == "X" and "dur" in e]
    gpu = [e for e in events if e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")]
    if not gpu:
        raise SystemExit(f"{path}: no GPU activity in the trace (was CUDA profiled?)")
    by_cat = defaultdict(float)
    by_kernel = defaultdict(lambda: [0.0, 0])
    kernel_us = 0.0
    for e in gpu:
        c = category(e["name"], e.get("cat"))
        by_cat[c] += e["dur"]
        k = by_kernel[(e["name"], c)]
        k[0] += e["dur"]
        k[1] += 1
        if e.get("cat") == "kernel":
            kernel_us += e["dur"]
    intervals = sorted((float(e["ts"]), float(e["ts"]) + float(e["dur"])) for e in gpu)
    busy, cur_s, cur_e = 0.0, intervals[0][0], intervals[0][1]
    for s, t in intervals[1:]:
        if s > cur_e:
            busy += cur_e - cur_s
            cur_s, cur_e = s, t
        else:
            cur_e = max(cur_e, t)
    busy += cur_e - cur_s
    span = intervals[-1][1] - intervals[0][0]
    wall = max(float(e["ts"]) + float(e["dur"]) for e in events) - min(float(e["ts"]) for e in events)
    launches = sum(1 for e in events if e.get("cat") == "cuda_runtime" and e["name"] in LAUNCHES)
    kernels = sum(1 for e in gpu if e.get("cat") == "kernel")
    triton = defaultdict(float)
    for e in gpu:
        if e["name"].startswith("triton"):
            part = next((label for label, pattern in TRITON_PARTS if re.search(pattern, e["name"])), "other")
            triton[part] += e["dur"]
    ms = 1e-3 / steps
    return {
        "kernel_ms": kernel_us * ms, "busy_ms": busy * ms, "span_ms": span * ms, "wall_ms": wall * ms,
        "idle_share": 1.0 - busy / span if span > 0 else 0.0, "kernels": kernels / steps, "launches": launches / steps,
        "categories": {c: v * ms for c, v in by_cat.items()},
        "triton": {c: v * ms for c, v in triton.items()},
        "top": sorted(((v[0] * ms, v[1] / steps, n, c) for (n, c), v in by_kernel.items()), reverse=True),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("traces", nargs="+", help="label=trace.json[.gz]; the first is the side the deltas are of")
    ap.add_argument("--steps", type=int, required=True, help="training steps each trace holds")
    ap.add_argument("--baseline", help="label the deltas are against (default: the last)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", help="also write the figures as JSON here")
    a = ap.parse_args()
    sides = {}
    for spec in a.traces:
        label, _, path = spec.partition("=")
        try:
            sides[label] = summarise(path, a.steps)
        except (OSError, ValueError, KeyError) as e:
            print(f"{label}: cannot read {path}: {e}", file=sys.stderr)
    if not sides:
        return 1
    labels = list(sides)
    first, base = labels[0], a.baseline or labels[-1]
    w = max(14, *(len(l) + 2 for l in labels))
    head = f"{'per step (ms)':<32}" + "".join(f"{l:>{w}}" for l in labels)
    delta = base in sides and first != base
    if delta:
        head += f"{first + ' - ' + base:>{w + 8}}"
    print(f"Chrome traces, {a.steps} steps each; figures per step.\n")
    print(head)
    print("-" * len(head))

    def row(name, values, fmt="{:.2f}", with_delta=True):
        line = f"{name:<32}" + "".join(f"{fmt.format(v):>{w}}" for v in values)
        if delta and with_delta:
            line += f"{fmt.format(values[0] - values[labels.index(base)]):>{w + 8}}"
        print(line)

    for key, name in [("wall_ms", "wall (trace span)"), ("span_ms", "GPU span"), ("busy_ms", "GPU busy"),
                      ("kernel_ms", "GPU kernel time")]:
        row(name, [sides[l][key] for l in labels])
    row("GPU idle share of span", [100 * sides[l]["idle_share"] for l in labels], "{:.1f}%", False)
    row("kernels / step", [sides[l]["kernels"] for l in labels], "{:.0f}")
    row("kernel launches / step (host)", [sides[l]["launches"] for l in labels], "{:.0f}")
    print("-" * len(head))
    names = [n for n, _ in CATEGORIES] + ["other"]
    for name in names:
        values = [sides[l]["categories"].get(name, 0.0) for l in labels]
        if any(v > 0 for v in values):
            row(name, values)
    parts = [n for n, _ in TRITON_PARTS] + ["other"]
    if any(sides[l]["triton"] for l in labels):
        print("-" * len(head))
        print("triton kernels by what they fuse (first match in the name)")
        for name in parts:
            values = [sides[l]["triton"].get(name, 0.0) for l in labels]
            if any(v > 0 for v in values):
                row("  triton: " + name, values, with_delta=False)
    print()
    for l in labels:
        s = sides[l]
        print(f"== {l}: top {a.top} kernels by time (ms/step, launches/step, category, name)")
        for ms, count, name, c in s["top"][: a.top]:
            print(f"  {ms:8.3f} {count:6.0f}  {c[:24]:<24}  {short(name)}")
        print()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({l: {**s, "top": s["top"][: a.top]} for l, s in sides.items()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
