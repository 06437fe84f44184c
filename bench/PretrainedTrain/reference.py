#!/usr/bin/env python3
"""bench/PretrainedTrain's reference side: transformers + peft on the same model folder as the C# side.

  reference.py write --shape S --out DIR [--seed N]
      writes a random-weight model folder (save_pretrained, bf16 on disk) from the real config of the shape:
      qwen2.5-0.5b (Qwen/Qwen2.5-0.5B's config.json), llama-3.2-1b (meta-llama/Llama-3.2-1B's), tiny (a toy Qwen2).
  reference.py measure --model DIR --mode lora|full|logprobs --device D --dtype bfloat16|float32 --batch B --seq T
                       --warmup W --steps N [--lora-rank 16 --lora-alpha 32]
      prints one JSON line: {"mode", "times_ms": [...], "tokens_per_step", "peak_bytes"}.

One training step = zero_grad, forward with labels (transformers' shifted cross-entropy over every position), backward,
AdamW(1e-5, betas 0.9/0.999, wd 0); LoRA: r=16, alpha=32, dropout 0 on every linear layer but lm_head (peft's
target_modules="all-linear"). logprobs = a no-grad forward then log_softmax over the vocabulary and the gather of the
next tokens (float32), the reference log-probs of RL. Token ids: torch.randint with seed 1234 (both sides see random ids;
the timing does not depend on which)."""
import argparse
import json
import sys
import time

import torch

# The architecture fields of the real configs (hidden sizes, layers, heads, kv heads, intermediate, vocab, rope, tying).
SHAPES = {
    "qwen2.5-0.5b": dict(
        architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_size=896, intermediate_size=4864,
        num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2, vocab_size=151936,
        max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
        hidden_act="silu", bos_token_id=151643, eos_token_id=151643, sliding_window=32768, use_sliding_window=False,
        max_window_layers=24, attention_dropout=0.0),
    "llama-3.2-1b": dict(
        architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=2048, intermediate_size=8192,
        num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256,
        max_position_embeddings=131072, rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
        hidden_act="silu", bos_token_id=128000, eos_token_id=128001, attention_bias=False, mlp_bias=False,
        rope_scaling=dict(factor=32.0, high_freq_factor=4.0, low_freq_factor=1.0,
                          original_max_position_embeddings=8192, rope_type="llama3")),
    "tiny": dict(
        architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=512,
        max_position_embeddings=1024, rope_theta=10000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
        hidden_act="silu", bos_token_id=1, eos_token_id=2, use_sliding_window=False),
}


def dtype_argument(transformers, dtype):
    """transformers 4.56+ names the argument dtype (torch_dtype is deprecated there)."""
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return {"dtype": dtype} if (major, minor) >= (4, 56) else {"torch_dtype": dtype}


def write(args):
    import transformers
    fields = dict(SHAPES[args.shape])
    model_type = fields.pop("model_type")
    fields.pop("architectures")
    config = transformers.AutoConfig.for_model(model_type, **fields)
    torch.manual_seed(args.seed)
    model = transformers.AutoModelForCausalLM.from_config(config, **dtype_argument(transformers, torch.float32))
    with torch.no_grad():  # weights that matter: norms away from 1 (biases stay random from the init below)
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
            elif name.endswith(".bias"):
                p.normal_(0.0, 0.02)
    model.to(torch.bfloat16).save_pretrained(args.out, safe_serialization=True)
    print(json.dumps({"written": args.out, "parameters": sum(p.numel() for p in model.parameters())}))


def measure(args):
    import transformers
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    model = transformers.AutoModelForCausalLM.from_pretrained(args.model, attn_implementation="sdpa", **dtype_argument(transformers, dtype)).to(device)
    model.config.use_cache = False
    if args.mode == "lora":
        import peft
        config = peft.LoraConfig(r=args.lora_rank, lora_alpha=args.lora_alpha, lora_dropout=0.0, target_modules="all-linear", bias="none")
        model = peft.get_peft_model(model, config)
    generator = torch.Generator().manual_seed(1234)
    ids = torch.randint(0, model.config.vocab_size, (args.batch, args.seq), generator=generator).to(device)
    cuda = device.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    times = []
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    if args.mode == "logprobs":
        model.eval()
        for i in range(args.warmup + args.steps):
            sync()
            start = time.perf_counter()
            with torch.no_grad():
                logits = model(input_ids=ids).logits[:, :-1].float()                       # (B, T-1, V)
                lp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)  # (B, T-1)
                del logits
            sync()
            if i >= args.warmup:
                times.append((time.perf_counter() - start) * 1000)
        tokens = args.batch * (args.seq - 1)
    else:
        model.train()
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=1e-5, betas=(0.9, 0.999), weight_decay=0.0)
        for i in range(args.warmup + args.steps):
            sync()
            start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            loss = model(input_ids=ids, labels=ids).loss
            loss.backward()
            optimizer.step()
            sync()
            if i >= args.warmup:
                times.append((time.perf_counter() - start) * 1000)
        tokens = args.batch * args.seq
    peak = torch.cuda.max_memory_allocated(device) if cuda else None
    print(json.dumps({"mode": args.mode, "times_ms": times, "tokens_per_step": tokens, "peak_bytes": peak,
                      "torch": torch.__version__, "transformers": transformers.__version__}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--shape", choices=sorted(SHAPES), required=True)
    w.add_argument("--out", required=True)
    w.add_argument("--seed", type=int, default=0)
    m = sub.add_parser("measure")
    m.add_argument("--model", required=True)
    m.add_argument("--mode", choices=["lora", "full", "logprobs"], required=True)
    m.add_argument("--device", default="cuda")
    m.add_argument("--dtype", default="bfloat16")
    m.add_argument("--batch", type=int, default=1)
    m.add_argument("--seq", type=int, default=2048)
    m.add_argument("--warmup", type=int, default=2)
    m.add_argument("--steps", type=int, default=5)
    m.add_argument("--lora-rank", type=int, default=16)
    m.add_argument("--lora-alpha", type=float, default=32)
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    write(args) if args.command == "write" else measure(args)


if __name__ == "__main__":
    sys.exit(main())
