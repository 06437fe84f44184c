#!/usr/bin/env python3
"""Round-trip check: does a model folder (and optional peft adapter) that MaskedSft.MLNet wrote load in transformers (+ peft)
and give the log-probs our code computed? Prints the max abs difference per case and overall, then PASS or FAIL.

    python3 scripts/reference/hf_roundtrip_check.py --model DIR [--adapter DIR] [--merge] --cases FILE [--logprobs FILE]
                                                    [--tol 1e-4] [--device cpu|cuda]

Cases (--cases FILE), any of:
  - JSON lines, each {"ids": [...], "logprobs": [...]};
  - a JSON object with "cases" or "logprobs": a list of such objects (so a fixture's reference.json works as is);
  - JSON lines of {"ids": [...]} (the input of `maskedsft logprobs`) together with --logprobs FILE, JSON lines of
    {"logprobs": [...]} (its output), paired line by line.
logprobs[i] is log p(ids[i+1] | ids[0..i]): len(ids) - 1 values. transformers computes them in fp32 (the model is loaded
with dtype=float32 whatever the dtype on disk, eager attention, eval mode), log_softmax over the whole vocabulary.

--merge also checks the adapter merged into the base (peft merge_and_unload) against the same values.
Exit code: 0 PASS, 1 FAIL, 2 the folder or the cases could not be read.
"""
import argparse
import json
import os
import sys
import traceback


def read_cases(path, logprobs_path=None):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and "ids" in doc:  # a single JSON line
            items = [doc]
        elif isinstance(doc, dict):
            items = doc.get("cases", doc.get("logprobs"))
            if not isinstance(items, list):
                raise ValueError(f"{path}: a JSON object needs a list under 'cases' or 'logprobs'")
        elif isinstance(doc, list):
            items = doc
        else:
            raise ValueError(f"{path}: expected a JSON object, list or JSON lines")
    except json.JSONDecodeError:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    if logprobs_path:
        with open(logprobs_path, encoding="utf-8") as f:
            outs = [json.loads(line) for line in f if line.strip()]
        if len(outs) != len(items):
            raise ValueError(f"{path} has {len(items)} lines, {logprobs_path} {len(outs)}")
        items = [dict(i, logprobs=o["logprobs"]) for i, o in zip(items, outs)]
    cases = []
    for n, item in enumerate(items):
        ids, lp = item.get("ids"), item.get("logprobs")
        if not isinstance(ids, list) or not isinstance(lp, list):
            raise ValueError(f"case {n}: needs 'ids' and 'logprobs' lists")
        if len(lp) != len(ids) - 1:
            raise ValueError(f"case {n}: {len(ids)} ids need {len(ids) - 1} log-probs, got {len(lp)}")
        cases.append({"name": item.get("name", f"case{n}"), "ids": [int(t) for t in ids],
                      "logprobs": [float(v) for v in lp]})
    return cases


def load(model_dir, adapter_dir, device):
    import torch
    from transformers import AutoModelForCausalLM
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    except TypeError:  # transformers 4.x before `dtype`
        model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32, attn_implementation="eager")
    if adapter_dir:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, adapter_dir)
    return model.to(device).eval()


def logprobs(model, ids, device):
    import torch
    with torch.no_grad():
        x = torch.tensor([ids], dtype=torch.long, device=device)
        lp = torch.log_softmax(model(input_ids=x).logits[0].double(), dim=-1)
        return lp[:-1].gather(1, x[0, 1:].unsqueeze(1)).squeeze(1).cpu().tolist()


def compare(label, model, cases, device, tol):
    worst = 0.0
    for case in cases:
        got = logprobs(model, case["ids"], device)
        diff = max((abs(a - b) for a, b in zip(got, case["logprobs"])), default=0.0)
        worst = max(worst, diff)
        at = max(range(len(got)), key=lambda i: abs(got[i] - case["logprobs"][i])) if got else -1
        print(f"  {label:9s} {case['name']:24s} T={len(case['ids']):4d}  max abs diff {diff:.3e}"
              + (f"  (position {at}: transformers {got[at]:.7g}, ours {case['logprobs'][at]:.7g})" if diff > tol else ""))
    print(f"  {label:9s} overall max abs diff {worst:.3e} (tolerance {tol:g})")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="a Hugging Face model folder (config.json + safetensors)")
    parser.add_argument("--adapter", help="a peft adapter folder (adapter_config.json + adapter_model.safetensors)")
    parser.add_argument("--merge", action="store_true", help="also check the adapter merged into the base")
    parser.add_argument("--cases", required=True, help="the ids and our log-probs (see the module docstring)")
    parser.add_argument("--logprobs", help="JSON lines of {'logprobs': [...]} paired with --cases' {'ids': [...]} lines")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    try:
        import peft
        import torch
        import transformers
        print(f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}")
        cases = read_cases(args.cases, args.logprobs)
        print(f"model {args.model}" + (f", adapter {args.adapter}" if args.adapter else "") + f", {len(cases)} cases")
        cfg_path = os.path.join(args.model, "config.json")
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        print(f"  config: {cfg.get('architectures')}, dtype on disk {cfg.get('dtype', cfg.get('torch_dtype'))}, "
              f"vocab {cfg.get('vocab_size')}")
        model = load(args.model, args.adapter, args.device)
        vocab = model.get_output_embeddings().weight.shape[0]
        bad = [c["name"] for c in cases if max(c["ids"]) >= vocab or min(c["ids"]) < 0]
        if bad:
            raise ValueError(f"ids outside the vocabulary of {vocab} in {bad}")
    except Exception:  # noqa: BLE001 - one clear message, exit 2
        traceback.print_exc()
        print("ERROR: could not load the model or the cases")
        sys.exit(2)

    worst = compare("unmerged" if args.adapter else "model", model, cases, args.device, args.tol)
    if args.adapter and args.merge:
        merged = model.merge_and_unload().eval()
        worst = max(worst, compare("merged", merged, cases, args.device, args.tol))
    ok = worst <= args.tol
    print(("PASS" if ok else "FAIL") + f": max abs diff {worst:.3e}, tolerance {args.tol:g}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
