#!/usr/bin/env python3
"""Compares a data-parallel run with its one-process twin (scripts/gpu/multi-gpu.sh).

--one: one process with the global batch; --two: the 2-rank run; --resumed: the 2-rank run resumed from --resumed-from.
Checks: the same steps; per-step loss within --tolerance (relative) and the same global supervised-token counts; the
last hard-example snapshot is a merged one holding entries of both ranks; the resumed run's losses equal the
uninterrupted 2-rank run's bit for bit after the resume step. Prints what it compared; exits 1 on the first mismatch.
"""
import argparse
import json
import os
import sys


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fail(message):
    print("mismatch: " + message)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--one", required=True)
    p.add_argument("--two", required=True)
    p.add_argument("--resumed", required=True)
    p.add_argument("--resumed-from", type=int, required=True)
    p.add_argument("--tolerance", type=float, required=True)
    a = p.parse_args()

    one = read_jsonl(os.path.join(a.one, "metrics.jsonl"))
    two = read_jsonl(os.path.join(a.two, "metrics.jsonl"))
    if [m["step"] for m in one] != [m["step"] for m in two]:
        fail(f"steps differ: {[m['step'] for m in one]} vs {[m['step'] for m in two]}")
    worst = 0.0
    for m1, m2 in zip(one, two):
        rel = abs(m1["loss"] - m2["loss"]) / max(abs(m1["loss"]), 1e-12)
        worst = max(worst, rel)
        if rel > a.tolerance:
            fail(f"step {m1['step']}: loss {m1['loss']} (one process) vs {m2['loss']} (two ranks), relative {rel:.3g} > {a.tolerance}")
        if m1.get("supervised_tokens") != m2.get("supervised_tokens"):
            fail(f"step {m1['step']}: supervised tokens {m1.get('supervised_tokens')} vs {m2.get('supervised_tokens')}")
    print(f"{a.two}: {len(two)} steps, worst relative loss difference {worst:.3g} (tolerance {a.tolerance})")

    snapshots = read_jsonl(os.path.join(a.two, "hard_examples.jsonl"))
    if not snapshots:
        fail("no hard-example snapshot")
    last = snapshots[-1]
    processes = sorted({e["process_index"] for e in last["entries"]})
    if last.get("process_count") != 2 or processes != [0, 1]:
        fail(f"the last snapshot is not a merge of both ranks: process_count {last.get('process_count')}, entries from {processes}")
    print(f"hard examples: {len(last['entries'])} entries from ranks {processes}")

    resumed = read_jsonl(os.path.join(a.resumed, "metrics.jsonl"))
    expected = [m for m in two if m["step"] > a.resumed_from]
    if [m["step"] for m in resumed] != [m["step"] for m in expected]:
        fail(f"resumed steps {[m['step'] for m in resumed]} vs {[m['step'] for m in expected]}")
    for m1, m2 in zip(expected, resumed):
        if m1["loss"] != m2["loss"]:
            fail(f"resumed step {m1['step']}: loss {m2['loss']} vs uninterrupted {m1['loss']} (must be bit-identical)")
    print(f"resume from step {a.resumed_from}: {len(resumed)} steps bit-identical")


if __name__ == "__main__":
    main()
