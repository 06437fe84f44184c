#!/usr/bin/python3
"""PyTorch reference for MaskedSft.MLNet.Models.TinyGpt: writes test/MaskedSft.MLNet.Tests/Fixtures/Models/tiny_gpt.json.

Run with Debian's PyTorch (the same libtorch 1.13 as the .NET side):  /usr/bin/python3 scripts/reference/model_reference.py

The architecture is written here independently: token + learned position embeddings, pre-LayerNorm blocks
(x + attn(ln_1(x)), x + mlp(ln_2(x))), causal multi-head self-attention (fused q,k,v projection), a GELU (erf) MLP of width
4C, a final LayerNorm and an LM head tied to the token embedding. Parameter names follow nanoGPT's
(transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...).

The weights are not stored: both sides fill every parameter from a portable generator (splitmix64 seeded with
FNV-1a-64(name) xor seed; u = (z >> 40) / 2^24; value = float32((2u - 1) * scale + offset), computed in double), see `fill_portable`, and the
C# twin `PortableInit`. The fixture holds the config, inputs, logits, the masked and unmasked losses, per-parameter
gradient norms of the masked loss, and greedy continuations.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

MASK64 = (1 << 64) - 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "MaskedSft.MLNet.Tests", "Fixtures",
                   "Models")


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK64
    return h


def portable_values(name, seed, count, scale, offset):
    state = fnv1a64(name) ^ seed
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        u = (z >> 40) / float(1 << 24)
        out.append((2.0 * u - 1.0) * scale + offset)  # rounded once to float32 by the caller
    return out


def scale_for(name):
    """(scale, offset) of the portable init for a parameter name; the C# side uses the same table."""
    if name.endswith("wte.weight") or name.endswith("wpe.weight"):
        return 0.5, 0.0
    if ".ln_" in name or name.startswith("transformer.ln_f"):
        return (0.2, 1.0) if name.endswith(".weight") else (0.1, 0.0)
    if name.endswith(".bias"):
        return 0.1, 0.0
    return 0.2, 0.0


class Block(torch.nn.Module):
    def __init__(self, c, h, bias):
        super().__init__()
        self.ln_1 = torch.nn.LayerNorm(c, elementwise_affine=True)
        self.attn = torch.nn.Module()
        self.attn.c_attn = torch.nn.Linear(c, 3 * c, bias=bias)
        self.attn.c_proj = torch.nn.Linear(c, c, bias=bias)
        self.ln_2 = torch.nn.LayerNorm(c, elementwise_affine=True)
        self.mlp = torch.nn.Module()
        self.mlp.c_fc = torch.nn.Linear(c, 4 * c, bias=bias)
        self.mlp.c_proj = torch.nn.Linear(4 * c, c, bias=bias)
        if not bias:
            self.ln_1.bias = None
            self.ln_2.bias = None
        self.h = h

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = self.attn.c_attn(x).split(c, dim=2)
        hd = c // self.h
        q = q.view(b, t, self.h, hd).transpose(1, 2)                     # (B, H, T, hd)
        k = k.view(b, t, self.h, hd).transpose(1, 2)
        v = v.view(b, t, self.h, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))           # (B, H, T, T)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        att = att.masked_fill(~causal, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)          # (B, T, C)
        return self.attn.c_proj(y)

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        x = x + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x))))
        return x


class Gpt(torch.nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.transformer = torch.nn.Module()
        self.transformer.wte = torch.nn.Embedding(cfg["vocab_size"], cfg["n_embd"])
        self.transformer.wpe = torch.nn.Embedding(cfg["block_size"], cfg["n_embd"])
        self.transformer.h = torch.nn.ModuleList([Block(cfg["n_embd"], cfg["n_head"], cfg["bias"])
                                                  for _ in range(cfg["n_layer"])])
        self.transformer.ln_f = torch.nn.LayerNorm(cfg["n_embd"])
        if not cfg["bias"]:
            self.transformer.ln_f.bias = None

    def forward(self, idx):
        b, t = idx.shape
        pos = torch.arange(t)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)          # (B, T, C)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        return x @ self.transformer.wte.weight.t()                         # (B, T, V) tied head


def masked_loss(logits, targets, mask):
    v = logits.shape[-1]
    ce = F.cross_entropy(logits.reshape(-1, v), targets.reshape(-1), reduction="none").reshape(targets.shape)
    keep = mask != 0
    return torch.where(keep, ce, torch.zeros_like(ce)).sum() / keep.sum().clamp(min=1)


def make_case(name, cfg, seed, b, t, prompt_len, new_tokens):
    model = Gpt(cfg)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            scale, offset = scale_for(pname)
            p.copy_(torch.tensor(portable_values(pname, seed, p.numel(), scale, offset), dtype=torch.float32).view_as(p))
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, cfg["vocab_size"], (b, t), generator=g)
    y = torch.randint(0, cfg["vocab_size"], (b, t), generator=g)
    mask = (torch.rand(b, t, generator=g) < 0.5).to(torch.float32)
    mask[0, -1] = 1
    logits = model(x)
    loss = masked_loss(logits, y, mask)
    loss.backward()
    grads = {n: float(p.grad.norm().item()) for n, p in model.named_parameters()}
    unmasked = masked_loss(model(x), y, torch.ones_like(mask))
    # greedy continuation of the first row's prefix (cropped to the block size while generating)
    with torch.no_grad():
        seq = x[:1, :prompt_len].clone()
        for _ in range(new_tokens):
            ctx = seq[:, -cfg["block_size"]:]
            nxt = model(ctx)[:, -1, :].argmax(-1, keepdim=True)
            seq = torch.cat([seq, nxt], dim=1)
    params = sum(p.numel() for p in model.parameters())
    return {"name": name, "config": cfg, "seed": seed, "B": b, "T": t, "x": x.reshape(-1).tolist(),
            "y": y.reshape(-1).tolist(), "mask": mask.reshape(-1).tolist(),
            "logits": [float(v) for v in logits.detach().reshape(-1).tolist()], "masked_loss": float(loss.item()),
            "unmasked_loss": float(unmasked.item()), "grad_norms": grads, "parameter_count": params,
            "prompt_length": prompt_len, "greedy": seq.reshape(-1).tolist()}


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    cases = [
        make_case("bias_2x32", {"n_layer": 2, "n_head": 4, "n_embd": 32, "block_size": 16, "vocab_size": 61, "bias": True,
                                "dropout": 0.0}, 7, 2, 12, 5, 14),
        make_case("nobias_1x16", {"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 8, "vocab_size": 23, "bias": False,
                                  "dropout": 0.0}, 11, 3, 8, 3, 4),
    ]
    with open(os.path.join(OUT, "tiny_gpt.json"), "w") as f:
        json.dump({"generator": "scripts/reference/model_reference.py", "torch": torch.__version__, "cases": cases}, f)
    print(f"wrote {len(cases)} tiny-GPT cases to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
