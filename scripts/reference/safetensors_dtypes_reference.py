#!/usr/bin/env python3
"""Reference for the tensor <-> safetensors bridge: every tensor dtype, bf16/fp16 rounding by PyTorch, and a sharded folder.

Needs only PyTorch (1.13 works; the `safetensors` package is not used): the safetensors format is written by hand here
(8-byte little-endian header length, compact JSON header padded with spaces to a multiple of 8, raw little-endian data),
with the tensors ordered as the Rust `safetensors` writer orders them (dtype descending in its enum order, then name),
which is NOT the order of our C# writer, so the C# tests read a layout they did not produce themselves.

  /usr/bin/python3 scripts/reference/safetensors_dtypes_reference.py test/MaskedSft.MLNet.Tests/Fixtures/Safetensors

writes into that folder:
  dtypes_reference.safetensors  every tensor dtype (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL) plus raw F8_E4M3 and U16
                                tensors (no torch 1.13 dtype), and "source.f32" with its bf16 and fp16 roundings by torch
  dtypes_expected.json          per tensor: dtype, shape, raw bytes (hex) and values (float64; "nan"/"inf"/"-inf" as strings)
  sharded/                      a 5-tensor model (BF16 + one F32) sharded with max_shard_size=100 bytes as
                                huggingface_hub.split_torch_state_dict_into_shards plans it (an oversized tensor gets its
                                own shard ahead of the shard being filled): model-0000k-of-00003.safetensors and
                                model.safetensors.index.json (json.dumps(indent=2, sort_keys=True) + "\\n", as transformers)
  sharded_expected.json         per tensor: the shard file, dtype, shape and float64 values
"""
import json
import math
import os
import struct
import sys

import torch

# The Rust safetensors Dtype enum order (the writer sorts by dtype descending, then by name).
RUST_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16", "BF16",
              "I32", "U32", "F32", "F64", "I64", "U64"]
CODES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}

# float32 values chosen to exercise rounding: ties to even in bf16 (1 + 2^-8, 1 + 3*2^-8), fp16 overflow (65520 -> inf),
# fp16 subnormals (2^-24 and its half, a tie to 0), bf16 range beyond fp16 (3e38), signed zero and infinities.
SOURCE = [0.1, -1.0 / 3.0, math.pi, -2.718281828, 1e-8,
          65504.0, 65520.0, 3.0e38, 1.00390625, 1.01171875,
          -0.0, 5.9604644775390625e-08, 2.98023223876953125e-08, float("inf"), float("-inf")]


def raw(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # little-endian on x86_64 and aarch64


def value(x):
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def values(t):
    flat = t.to(torch.float64).flatten().tolist() if t.is_floating_point() else t.flatten().tolist()
    return [value(v) for v in flat]


def write_safetensors(path, entries, metadata):
    """entries: name -> (code, shape, bytes). Layout of the Rust writer: dtype descending, then name."""
    order = sorted(entries, key=lambda n: (-RUST_ORDER.index(entries[n][0]), n))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name in order:
        code, shape, data = entries[name]
        header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(entries[name][2])


def entry(t):
    return CODES[t.dtype], tuple(t.shape), raw(t)


def dtypes(directory):
    source = torch.tensor(SOURCE, dtype=torch.float32).reshape(3, 5)
    tensors = {
        "source.f32": source,
        "rounded.bf16": source.to(torch.bfloat16),
        "rounded.f16": source.to(torch.float16),
        "widened.f64": source.to(torch.bfloat16).to(torch.float64),
        "ints.i64": torch.tensor([-9223372036854775808, -1, 0, 9223372036854775807], dtype=torch.int64).reshape(2, 2),
        "ints.i32": torch.tensor([-2147483648, -7, 0, 2147483647], dtype=torch.int32),
        "ints.i16": torch.tensor([-32768, -300, 0, 1, 32767, 12345], dtype=torch.int16).reshape(3, 2),
        "ints.i8": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "ints.u8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "flags.bool": torch.tensor([[True, False], [False, True]], dtype=torch.bool),
        "scalar.bf16": torch.tensor(-0.15625, dtype=torch.bfloat16),
        "empty.i16": torch.zeros((0, 4), dtype=torch.int16),
    }
    entries = {name: entry(t) for name, t in tensors.items()}
    # Types torch 1.13 cannot hold: raw bytes under their codes (F8_E4M3: 0.5, -1.0, 448 max, NaN; U16: 0, 1, 65535).
    raw_only = {"raw.f8_e4m3": ("F8_E4M3", (4,), bytes([0x30, 0xB8, 0x7E, 0x7F])),
                "raw.u16": ("U16", (3,), struct.pack("<3H", 0, 1, 65535))}
    entries.update(raw_only)
    metadata = {"format": "pt", "producer": "scripts/reference/safetensors_dtypes_reference.py"}
    write_safetensors(os.path.join(directory, "dtypes_reference.safetensors"), entries, metadata)
    expected = {name: {"dtype": code, "shape": list(shape), "hex": data.hex()} for name, (code, shape, data) in entries.items()}
    for name, t in tensors.items():
        expected[name]["values"] = values(t)
    with open(os.path.join(directory, "dtypes_expected.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": f"torch {torch.__version__}", "metadata": metadata, "tensors": expected}, f, indent=1, sort_keys=True)
        f.write("\n")


def plan_shards(sizes, max_shard_size):
    """huggingface_hub's split_state_dict_into_shards_factory plan (no shared storage): a list of lists of names."""
    shards, current, current_size = [], [], 0
    for name, size in sizes:
        if size > max_shard_size:
            shards.append([name])
            continue
        if current_size + size > max_shard_size:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current:
        shards.append(current)
    return shards


def sharded(directory):
    folder = os.path.join(directory, "sharded")
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    g = torch.Generator().manual_seed(1234)
    model = {  # state-dict order, as save_pretrained iterates it
        "model.embed_tokens.weight": torch.randn(8, 4, generator=g).to(torch.bfloat16),                 # 64 bytes
        "model.layers.0.self_attn.q_proj.weight": torch.randn(4, 4, generator=g).to(torch.bfloat16),    # 32 bytes
        "model.layers.0.mlp.up_proj.weight": torch.randn(16, 4, generator=g).to(torch.bfloat16),        # 128 bytes > max
        "model.norm.weight": 1.0 + 0.1 * torch.randn(4, generator=g),                                    # 16 bytes, F32
        "lm_head.weight": torch.randn(8, 4, generator=g).to(torch.bfloat16),                            # 64 bytes
    }
    sizes = [(name, t.numel() * t.element_size()) for name, t in model.items()]
    shards = plan_shards(sizes, max_shard_size=100)
    weight_map, expected = {}, {}
    for k, names in enumerate(shards):
        file = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(os.path.join(folder, file), {n: entry(model[n]) for n in names}, {"format": "pt"})
        for n in names:
            weight_map[n] = file
            t = model[n]
            expected[n] = {"file": file, "dtype": CODES[t.dtype], "shape": list(t.shape), "values": values(t)}
    index = {"metadata": {"total_size": sum(size for _, size in sizes)}, "weight_map": weight_map}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    with open(os.path.join(directory, "sharded_expected.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": f"torch {torch.__version__}", "max_shard_size": 100, "order": list(model),
                   "tensors": expected}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    os.makedirs(sys.argv[1], exist_ok=True)
    dtypes(sys.argv[1])
    sharded(sys.argv[1])
    print(f"wrote {sys.argv[1]}: dtypes_reference.safetensors, dtypes_expected.json, sharded/, sharded_expected.json")
