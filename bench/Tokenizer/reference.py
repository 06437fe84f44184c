#!/usr/bin/env python3
"""Reference of bench/Tokenizer: single-thread encode throughput of Hugging Face `tokenizers` (Python) on the benchmark text.

Reads the JSONL text the C# benchmark wrote (one JSON string per document), builds the tokenizers exactly as
scripts/reference/tokenizer_parity_reference.py does, encodes every document once (first pass, also the SHA-256 of all
ids as uint32 little-endian) and then --passes more times, and prints one JSON line per tokenizer:
{"name", "mb_per_s" (median pass), "first_pass_mb_per_s", "tokens", "sha256", "generator"}.
The C# benchmark runs it; by hand: TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 python3 reference.py --text T --tokenizers D
"""
import argparse
import array
import hashlib
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")
import tokenizers  # noqa: E402
from tokenizers import ByteLevelBPETokenizer, Tokenizer  # noqa: E402


def build(tok_dir: str, name: str):
    if name == "gpt2":
        tok = ByteLevelBPETokenizer(os.path.join(tok_dir, "gpt2", "encoder.json"), os.path.join(tok_dir, "gpt2", "vocab.bpe"),
                                    add_prefix_space=False)
        tok.add_special_tokens(["<|endoftext|>"])
        return tok
    return Tokenizer.from_file(os.path.join(tok_dir, name, "tokenizer.json"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--text", required=True)
    parser.add_argument("--tokenizers", required=True)
    parser.add_argument("--names", default="qwen3,gpt2")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    with open(args.text, encoding="utf-8") as f:
        documents = [json.loads(line) for line in f if line.strip()]
    total_mb = sum(len(d.encode("utf-8")) for d in documents) / 1e6
    generator = f"python tokenizers {tokenizers.__version__}, Python {sys.version.split()[0]}"
    for name in args.names.split(","):
        tok = build(args.tokenizers, name)
        tok.no_truncation()
        tok.no_padding()
        encode = tok.encode
        sha = hashlib.sha256()
        count = 0
        start = time.perf_counter()
        all_ids = []
        for d in documents:
            all_ids.append(encode(d, add_special_tokens=False).ids)
        first = time.perf_counter() - start
        for ids in all_ids:
            count += len(ids)
            packed = array.array("I", ids)
            if sys.byteorder != "little":
                packed.byteswap()
            sha.update(packed.tobytes())
        seconds = []
        for _ in range(args.passes):
            start = time.perf_counter()
            for d in documents:
                encode(d, add_special_tokens=False)
            seconds.append(time.perf_counter() - start)
        rates = ", ".join(f"{total_mb / s:.2f}" for s in seconds)
        print(f"HF {name}: first pass {total_mb / first:.2f} MB/s, passes {rates} MB/s, {count:,} tokens", flush=True)
        print(json.dumps({"name": name, "mb_per_s": total_mb / statistics.median(seconds), "first_pass_mb_per_s": total_mb / first,
                          "tokens": count, "sha256": sha.hexdigest(), "generator": generator}), flush=True)


if __name__ == "__main__":
    main()
