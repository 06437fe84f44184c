#!/usr/bin/env python3
"""Reference ids for the tokenizer parity tests, from Hugging Face `tokenizers` (Python package).

Reads test/MaskedSft.MLNet.Tests/Fixtures/Tokenizers/parity_corpus.json and the tokenizer files in .cache/tokenizers
(scripts/setup.sh fetches them), encodes every string with
  - qwen3:  Tokenizer.from_file(".cache/tokenizers/qwen3/tokenizer.json")
  - gpt2:   ByteLevelBPETokenizer(encoder.json, vocab.bpe, add_prefix_space=False) + special token <|endoftext|>
  - llama3: Tokenizer.from_file(".cache/tokenizers/llama3/tokenizer.json"), only when that file exists
with add_special_tokens=False, decodes the ids back (skip_special_tokens=False), records the UTF-8 lengths of the
pre-tokens (normalizer + pre-tokenizer only, added tokens not split out), and writes
test/MaskedSft.MLNet.Tests/Fixtures/Tokenizers/parity_ids.json.

Run from the repository root (needs `pip install tokenizers`):
    python3 scripts/reference/tokenizer_parity_reference.py [--out PATH]
or, to compare with the committed parity_ids.json instead of writing (exit 1 on any difference):
    python3 scripts/reference/tokenizer_parity_reference.py --check
"""
import argparse
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import ByteLevelBPETokenizer, Tokenizer


def main() -> None:
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    fixtures = os.path.join(repo, "test", "MaskedSft.MLNet.Tests", "Fixtures", "Tokenizers")
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(fixtures, "parity_ids.json"))
    parser.add_argument("--tokenizers-dir", default=os.path.join(repo, ".cache", "tokenizers"))
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args()

    corpus_path = os.path.join(fixtures, "parity_corpus.json")
    with open(corpus_path, "rb") as f:
        corpus_bytes = f.read()
    strings = json.loads(corpus_bytes)["strings"]

    tok_dir = args.tokenizers_dir
    built = {}
    qwen = os.path.join(tok_dir, "qwen3", "tokenizer.json")
    if not os.path.exists(qwen):
        sys.exit(f"missing {qwen}: run `bash scripts/setup.sh` first")
    built["qwen3"] = Tokenizer.from_file(qwen)
    gpt2 = ByteLevelBPETokenizer(os.path.join(tok_dir, "gpt2", "encoder.json"), os.path.join(tok_dir, "gpt2", "vocab.bpe"),
                                 add_prefix_space=False)
    gpt2.add_special_tokens(["<|endoftext|>"])
    built["gpt2"] = gpt2
    llama = os.path.join(tok_dir, "llama3", "tokenizer.json")
    if os.path.exists(llama):
        built["llama3"] = Tokenizer.from_file(llama)

    result = {
        "generator": f"python tokenizers {tokenizers.__version__} (scripts/reference/tokenizer_parity_reference.py)",
        "corpus_sha256": hashlib.sha256(corpus_bytes).hexdigest(),
        "tokenizers": {},
    }
    for name, tok in built.items():
        tok.no_truncation()
        tok.no_padding()
        ids = [tok.encode(s, add_special_tokens=False).ids for s in strings]
        decoded = [tok.decode(i, skip_special_tokens=False) for i in ids]
        # Pre-token lengths in UTF-8 bytes (the byte-level pieces' lengths): the split regex alone, on the normalized text.
        normalizer, pre_tokenizer = tok.normalizer, tok.pre_tokenizer
        pieces = []
        for s in strings:
            text = normalizer.normalize_str(s) if normalizer is not None else s
            pieces.append([len(piece) for piece, _ in pre_tokenizer.pre_tokenize_str(text)])
        result["tokenizers"][name] = {"ids": ids, "decoded": decoded, "piece_bytes": pieces}
        print(f"{name}: {sum(len(i) for i in ids)} tokens for {len(strings)} strings")
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            committed = json.load(f)
        print(f"committed: {committed['generator']}; now: {result['generator']}")
        ok = committed["corpus_sha256"] == result["corpus_sha256"]
        if not ok:
            print("corpus_sha256 differs: the committed ids were made from another corpus")
        for name, fresh in result["tokenizers"].items():
            old = committed["tokenizers"].get(name)
            if old is None:
                print(f"{name}: not in the committed file")
                ok = False
                continue
            for field in ("ids", "decoded", "piece_bytes"):
                same = sum(1 for a, b in zip(old[field], fresh[field]) if a == b)
                equal = same == len(strings) and len(old[field]) == len(fresh[field])
                ok &= equal
                print(f"{name} {field}: {same}/{len(strings)} strings equal{'' if equal else '  <-- DIFFERENT'}")
        print("PARITY OK" if ok else "PARITY DIFFERENT")
        sys.exit(0 if ok else 1)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        json.dump(result, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
