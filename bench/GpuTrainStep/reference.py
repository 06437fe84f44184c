#!/usr/bin/env python3
"""bench/GpuTrainStep's PyTorch anchor: the same GPT-2-shaped model (learned positions, pre-LN blocks, fused qkv, exact
GELU MLP of width 4C, tied head), the same step (zero_grad, forward, cross-entropy over every target, backward,
clip_grad_norm_(1.0), AdamW(6e-4, 0.9/0.95, wd 0.1 on matrices)) and the same protocol (warmup, reset peak memory, timed
steps) as Program.cs. Modes: eager = bf16 autocast + scaled_dot_product_attention + AdamW(foreach); compiled = the same
under torch.compile + AdamW(fused=True). TF32 on. Prints one JSON line per run (appended to --json). --profile PATH runs
the timed steps (after warmup, so after compilation) under torch.profiler (CPU + CUDA) and writes a Chrome trace there
(their tokens/s then includes the profiler's overhead); bench/GpuTrainStep/profile_summary.py reads it.
--model qwen2.5-0.5b --hf DIR: transformers' model of that folder (bench/PretrainedTrain/reference.py write) in float32
weights with sdpa attention instead of the GPT (B4 T2048 by default), the same step and protocol."""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {"gpt2-124m": (12, 768, 12), "gpt2-355m": (24, 1024, 16), "qwen2.5-0.5b": None}


class HfLoss(nn.Module):
    """A transformers causal LM with the bench's loss: cross-entropy of the float32 logits over every target."""

    def __init__(self, folder):
        super().__init__()
        import transformers
        self.lm = transformers.AutoModelForCausalLM.from_pretrained(folder, attn_implementation="sdpa", dtype=torch.float32)
        self.lm.config.use_cache = False

    def forward(self, idx, targets):
        logits = self.lm(input_ids=idx).logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)).float(), targets.view(-1))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width)
        self.c_attn = nn.Linear(width, 3 * width)
        self.attn_proj = nn.Linear(width, width)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, layers, width, heads, vocab, block):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(block, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02)

    def forward(self, idx, targets):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)).float(), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="gpt2-124m", choices=SHAPES)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--seq", type=int)
    ap.add_argument("--hf", help="the transformers model folder of --model qwen2.5-0.5b")
    ap.add_argument("--vocab", type=int, default=50304)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--mode", default="eager", choices=["eager", "compiled"])
    ap.add_argument("--json")
    ap.add_argument("--profile", help="Chrome trace of the timed steps (torch.profiler)")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(0)
    dev = torch.device("cuda")
    if SHAPES[a.model] is None:
        if not a.hf:
            ap.error(f"--model {a.model} needs --hf DIR")
        a.batch, a.seq = a.batch or 4, a.seq or 2048
        model = HfLoss(a.hf).to(dev)
        cfg = model.lm.config
        layers, width, heads, a.vocab = cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.vocab_size
        attn_width = heads * getattr(cfg, "head_dim", None) if getattr(cfg, "head_dim", None) else width
        mfu_params = sum(p.numel() for p in model.parameters())  # a tied head counted once; no position embeddings
    else:
        a.batch, a.seq = a.batch or 16, a.seq or 1024
        layers, width, heads = SHAPES[a.model]
        model = Gpt(layers, width, heads, a.vocab, a.seq).to(dev)
        attn_width = width
        mfu_params = sum(p.numel() for p in model.parameters()) - a.seq * width
    decay = [p for p in model.parameters() if p.dim() >= 2]
    plain = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": plain, "weight_decay": 0.0}]
    if a.mode == "compiled":
        opt = torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
        step_model = torch.compile(model)
    else:
        opt = torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), eps=1e-8)
        step_model = model
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g).to(dev)
    y = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g).to(dev)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = step_model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    prof = None
    if a.profile:
        acts = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
        prof = torch.profiler.profile(activities=acts)
        prof.__enter__()
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
        if prof is not None:
            prof.step()
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    if prof is not None:
        prof.__exit__(None, None, None)
        prof.export_chrome_trace(a.profile)
    result = {
        "side": f"pytorch-{a.mode}", "model": a.model, "layers": layers, "width": width, "heads": heads, "batch": a.batch,
        "seq": a.seq, "vocab": a.vocab, "params": sum(p.numel() for p in model.parameters()), "steps": a.steps,
        "mfu_params": mfu_params, "attn_width": attn_width,
        "seconds": seconds, "tokens_per_s": a.batch * a.seq * a.steps / seconds, "peak_bytes": torch.cuda.max_memory_allocated(),
        "reserved_bytes": torch.cuda.memory_reserved(), "precision": "bf16-autocast", "adamw": "fused" if a.mode == "compiled" else "foreach",
        "checkpointing": False, "host_reads_per_step": 0.0, "final_loss": loss.item(), "torch": torch.__version__,
        "profiled": bool(a.profile),
    }
    print(f"{result['side']:<24} {a.model} B{a.batch} T{a.seq}: {result['tokens_per_s']:10,.0f} tok/s, "
          f"peak {result['peak_bytes'] / 2**30:.2f} GiB, loss {result['final_loss']:.4f}")
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
