#!/usr/bin/env python3
"""Writes test/MaskedSft.MLNet.Tests/Fixtures/Tokenizers/nfc_cases.json: inputs and their NFC form from Python's
unicodedata, to check the tokenizer's managed NFC (UnicodeNfc). Covers every code point with a canonical decomposition,
Hangul syllables and jamo, and seeded random sequences of starters and combining marks.
Run: /usr/bin/python3 scripts/reference/tokenizer_nfc_reference.py
"""
import json
import os
import random
import unicodedata


def main() -> None:
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = os.path.join(repo, "test", "MaskedSft.MLNet.Tests", "Fixtures", "Tokenizers", "nfc_cases.json")
    decomposable = [chr(cp) for cp in range(0x110000)
                    if not 0xD800 <= cp <= 0xDFFF and unicodedata.decomposition(chr(cp))
                    and not unicodedata.decomposition(chr(cp)).startswith("<")]
    marks = [chr(cp) for cp in range(0x300, 0x370)] + ["\u0591", "\u05b0", "\u093c", "\u094d", "\u09be", "\u09d7",
                                                       "\u0b3e", "\u0bbe", "\u0e48", "\u3099", "\u309a", "\U0001D165"]
    starters = list("aeiouAEIOUcnszyCNSZYwWkK") + ["\u0627", "\u0915", "\u09c7", "\u0b47", "\u0bc6", "\u304b", "\u30cf",
                                                 "\u1100", "\u1161", "\u11a8", "\uac00", "\uac01", "\u03b1", "\u0391", "\u0438"]
    rng = random.Random(15)
    inputs = ["".join(decomposable[i:i + 16]) for i in range(0, len(decomposable), 16)]
    inputs += [unicodedata.normalize("NFD", "".join(decomposable[i:i + 16])) for i in range(0, len(decomposable), 16)]
    inputs += ["\u1100\u1161", "\u1100\u1161\u11a8", "\uac00\u11a8", "\uac01\u11a8", "\u1100\u1100\u1161", ""]
    for _ in range(600):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append(rng.choice(starters) if rng.random() < 0.45 else rng.choice(marks))
        inputs.append("".join(parts))
    cases = [[s, unicodedata.normalize("NFC", s)] for s in inputs]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        json.dump({"unicode": unicodedata.unidata_version, "cases": cases}, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases (Unicode {unicodedata.unidata_version})")


if __name__ == "__main__":
    main()
