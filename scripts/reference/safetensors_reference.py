#!/usr/bin/env python3
"""Safetensors interop reference: writes a fixture with the Python `safetensors` package and checks a file our C# writer made.

Run on a machine with torch and safetensors (the GPU machine has both):
  python3 scripts/reference/safetensors_reference.py write  test/MaskedSft.MLNet.Tests/Fixtures/Safetensors
  python3 scripts/reference/safetensors_reference.py check  test/MaskedSft.MLNet.Tests/Fixtures/Safetensors/from_csharp.safetensors

`write` creates reference.safetensors (saved by safetensors.torch.save_file) and reference_expected.json (dtype, shape,
values and raw little-endian bytes in hex of every tensor, and the metadata). `check` opens a file written by
MaskedSft.MLNet's SafetensorsWriter with safetensors.safe_open (which validates the header in Rust) and compares every
tensor and the metadata with the same content; it exits 1 on any difference. The content is defined by formulas that the
C# test SafetensorsInteropTests.BuildReferenceContent reproduces exactly.
"""
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

METADATA = {"format": "pt", "producer": "MaskedSft.MLNet safetensors interop fixture", "unicode": "h\u00e9llo \u2713"}

CODES = {
    torch.float32: "F32", torch.float64: "F64", torch.bfloat16: "BF16", torch.float16: "F16",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def reference_content():
    """The tensors of the fixture; every value is exactly representable in its dtype."""
    return {
        "model.embed.weight": (torch.arange(12, dtype=torch.float32) * 0.25 - 1.0).reshape(3, 4),
        "f64": torch.tensor([(i + 1) / 3 for i in range(4)], dtype=torch.float64),
        "bf16": torch.tensor([-2.5, -1.0, 0.0, 0.15625, 1.5, 256.0], dtype=torch.bfloat16).reshape(3, 2),
        "f16": torch.tensor([-65504.0, -0.5, 0.0, 0.25, 1024.0, 6.103515625e-05], dtype=torch.float16),
        "i64": torch.tensor([-9223372036854775808, -1, 0, 9223372036854775807], dtype=torch.int64).reshape(2, 2),
        "i32": torch.tensor([-2147483648, 7, 2147483647], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 127, 128, 200, 255, 3, 4], dtype=torch.uint8).reshape(2, 2, 2),
        "mask": torch.tensor([True, False, False, True], dtype=torch.bool),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
    }


def raw_hex(t):
    if t.numel() == 0:
        return ""
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes().hex()
    return t.contiguous().numpy().tobytes().hex()  # little-endian on x86_64 and aarch64


def values(t):
    return t.to(torch.float64).flatten().tolist() if t.is_floating_point() else t.flatten().tolist()


def write(directory):
    os.makedirs(directory, exist_ok=True)
    content = reference_content()
    path = os.path.join(directory, "reference.safetensors")
    save_file(content, path, metadata=METADATA)
    expected = {
        "generator": f"torch {torch.__version__}, safetensors {__import__('safetensors').__version__}",
        "metadata": METADATA,
        "tensors": {
            name: {"dtype": CODES[t.dtype], "shape": list(t.shape), "values": values(t), "hex": raw_hex(t)}
            for name, t in sorted(content.items())
        },
    }
    with open(os.path.join(directory, "reference_expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    # Read our own file back through safe_open as a sanity check of the fixture itself.
    check(path, quiet=True)
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and reference_expected.json")


def check(path, quiet=False):
    content = reference_content()
    failures = []
    with safe_open(path, framework="pt") as f:
        keys = set(f.keys())
        if keys != set(content):
            failures.append(f"tensor names differ: extra {sorted(keys - set(content))}, missing {sorted(set(content) - keys)}")
        for name in sorted(keys & set(content)):
            got, want = f.get_tensor(name), content[name]
            if got.dtype != want.dtype or tuple(got.shape) != tuple(want.shape) or not torch.equal(got, want):
                failures.append(f"{name}: got {got.dtype} {tuple(got.shape)} {values(got)}, want {want.dtype} {tuple(want.shape)} {values(want)}")
        if f.metadata() != METADATA:
            failures.append(f"metadata: got {f.metadata()}, want {METADATA}")
    with open(path, "rb") as fh:
        data = fh.read()
    n = int.from_bytes(data[:8], "little")
    if (8 + n) % 8 != 0:
        failures.append(f"data section starts at {8 + n}, not a multiple of 8")
    tmp = path + ".python.safetensors"
    save_file(content, tmp, metadata=METADATA)
    with open(tmp, "rb") as fh:
        identical = fh.read() == data
    os.remove(tmp)
    if failures:
        for line in failures:
            print("FAIL:", line)
        sys.exit(1)
    if not quiet:
        print(f"OK: {path}: {len(keys)} tensors and metadata match the reference content "
              f"(byte-identical to safetensors.torch.save_file: {'yes' if identical else 'no'})")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        print(__doc__)
        sys.exit(2)
    write(sys.argv[2]) if sys.argv[1] == "write" else check(sys.argv[2])
