#!/usr/bin/env python3
"""Reference values for the tensor bindings: runs each operation on fixed inputs with PyTorch 1.13 (Debian's
python3-torch, the same libtorch as the native layer) and writes inputs and outputs to
test/MaskedSft.MLNet.Tests/Fixtures/Torch/ops_reference.json, which TorchParityTests compare against (1e-6).
Run: /usr/bin/python3 scripts/reference/torch_ops_reference.py"""
import json
import math
import pathlib

import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "MaskedSft.MLNet.Tests" / "Fixtures" / "Torch" / "ops_reference.json"

DTYPES = {torch.float64: "Float64", torch.float32: "Float32", torch.int64: "Int64", torch.bool: "Bool"}


def enc(t: torch.Tensor):
    t = t.detach().cpu().contiguous()
    data = t.flatten().tolist()
    if t.dtype == torch.bool:
        data = [bool(v) for v in data]
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data": data}


def values(seed: int, *shape, lo=-2.0, hi=2.0):
    """Deterministic float64 inputs (a fixed generator; the values are stored in the fixture anyway)."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo)


cases = []


def case(name, inputs, outputs):
    cases.append({"name": name, "inputs": {k: enc(v) for k, v in inputs.items()},
                  "outputs": [enc(o) for o in outputs]})


a = values(1, 2, 3)
b = values(2, 3)
c = values(3, 3, 4)
pos = values(4, 2, 3, lo=0.1, hi=3.0)
case("add_broadcast", {"a": a, "b": b}, [a + b])
case("sub_broadcast", {"a": a, "b": b}, [a - b])
case("mul_broadcast", {"a": a, "b": b}, [a * b])
case("div_broadcast", {"a": a, "b": b}, [a / b])
case("add_scalar", {"a": a}, [a + 2.5])
case("rsub_scalar", {"a": a}, [2.5 - a])
case("rdiv_scalar", {"a": pos}, [1.5 / pos])
case("pow_scalar", {"a": pos}, [pos ** 1.7])
case("pow_tensor", {"a": pos, "b": a}, [pos ** a])
case("exp", {"a": a}, [a.exp()])
case("log", {"a": pos}, [pos.log()])
case("sqrt", {"a": pos}, [pos.sqrt()])
case("rsqrt", {"a": pos}, [pos.rsqrt()])
case("neg", {"a": a}, [-a])
case("abs", {"a": a}, [a.abs()])
case("tanh", {"a": a}, [a.tanh()])
case("sigmoid", {"a": a}, [a.sigmoid()])
case("sin_cos", {"a": a}, [a.sin(), a.cos()])
case("clamp", {"a": a}, [a.clamp(-0.5, 0.75)])
case("maximum", {"a": a, "b": b}, [torch.maximum(a, b)])
case("compare", {"a": a, "b": b}, [a.eq(b), a.ne(b), a.lt(b), a.gt(b), a.le(0.0), a.ge(0.0)])
case("matmul", {"a": a, "c": c}, [a @ c])
bb1, bb2 = values(5, 2, 3, 4), values(6, 2, 4, 5)
case("bmm", {"a": bb1, "b": bb2}, [torch.bmm(bb1, bb2)])
case("matmul_broadcast", {"a": bb1, "c": c.t()}, [bb1 @ c.t()])
x, w, bias = values(7, 5, 4), values(8, 3, 4), values(9, 3)
case("linear", {"x": x, "w": w, "b": bias}, [F.linear(x, w, bias)])
t3 = values(10, 2, 3, 4)
case("sum_dims_keepdim", {"a": t3}, [t3.sum(dim=(0, 2), keepdim=True), t3.sum()])
case("mean_dim", {"a": t3}, [t3.mean(dim=1), t3.mean()])
mx = t3.max(dim=2)
case("max_dim", {"a": t3}, [mx.values, mx.indices, t3.max()])
case("argmax", {"a": t3}, [t3.argmax(dim=1), t3.argmax()])
case("logsumexp", {"a": t3}, [t3.logsumexp(dim=2), t3.logsumexp(dim=(1, 2), keepdim=True)])
case("cumsum", {"a": t3}, [t3.cumsum(dim=1)])
case("gelu", {"a": t3}, [F.gelu(t3), F.gelu(t3, approximate="tanh")])
case("silu_relu", {"a": t3}, [F.silu(t3), F.relu(t3)])
case("softmax", {"a": t3}, [F.softmax(t3, dim=-1), F.log_softmax(t3, dim=1)])
lw, lb = values(11, 4), values(12, 4)
case("layer_norm", {"a": t3, "w": lw, "b": lb}, [F.layer_norm(t3, (4,), lw, lb, 1e-5), F.layer_norm(t3, (3, 4))])
rw = values(13, 4)
rms = t3 * torch.rsqrt(t3.pow(2).mean(-1, keepdim=True) + 1e-6) * rw
case("rms_norm", {"a": t3, "w": rw}, [rms])
emb = values(14, 6, 3)
ids = torch.tensor([[0, 5, 2], [1, 1, 4]])
case("embedding", {"w": emb, "ids": ids}, [F.embedding(ids, emb)])
logits = values(15, 4, 5)
target = torch.tensor([1, -100, 4, 0])
case("cross_entropy", {"logits": logits, "target": target},
     [F.cross_entropy(logits, target, ignore_index=-100), F.cross_entropy(logits, target, reduction="sum"),
      F.cross_entropy(logits, target, reduction="none"), F.cross_entropy(logits, target, label_smoothing=0.1)])
logits3 = values(16, 2, 5, 3)
target3 = torch.tensor([[1, 2, 3], [4, 0, -100]])
case("cross_entropy_nd", {"logits": logits3, "target": target3}, [F.cross_entropy(logits3, target3)])
lg = logits.clone().requires_grad_(True)
F.cross_entropy(lg, target).backward()
case("cross_entropy_grad", {"logits": logits, "target": target}, [lg.grad])
img = values(17, 1, 2, 4, 6)
case("interpolate", {"img": img},
     [F.interpolate(img, size=(3, 5), mode="bilinear", align_corners=False),
      F.interpolate(img, size=(2, 3), mode="area"),
      F.interpolate(img, size=(7, 9), mode="bilinear", align_corners=True)])
sq = values(18, 4, 4)
case("tril_triu", {"a": sq}, [sq.tril(), sq.triu(1), sq.tril(-1)])
cond = a > 0
case("where_masked_fill", {"cond": cond, "a": a, "b": b}, [torch.where(cond, a, b), a.masked_fill(cond, -1e9)])
gi = torch.tensor([[0, 2, 1], [2, 0, 0]])
case("gather", {"a": a, "idx": gi}, [a.gather(1, gi)])
src = values(19, 2, 3)
case("scatter", {"a": torch.zeros(2, 4, dtype=torch.float64), "idx": gi, "src": src},
     [torch.zeros(2, 4, dtype=torch.float64).scatter(1, gi, src),
      torch.zeros(2, 4, dtype=torch.float64).scatter_add(1, gi, src)])
case("index_select", {"a": t3, "idx": torch.tensor([2, 0])}, [t3.index_select(1, torch.tensor([2, 0]))])
case("cat_stack", {"a": a, "b": src}, [torch.cat([a, src], 1), torch.stack([a, src], 0)])
case("transpose_permute", {"a": t3}, [t3.transpose(0, 2).contiguous(), t3.permute(1, 2, 0).contiguous()])
case("slice", {"a": t3}, [t3[:, 1:3, ::2].contiguous(), t3[:, :, -1]])

# Random streams: the same generator algorithm and seed must give the same numbers.
g = torch.Generator().manual_seed(1234)
r1 = torch.rand(3, 4, generator=g, dtype=torch.float64)
r2 = torch.randn(5, generator=g, dtype=torch.float64)
r3 = torch.randint(0, 10, (6,), generator=g)
r4 = torch.randperm(8, generator=g)
r5 = torch.rand(2, 2, generator=g)
case("random_generator_1234", {}, [r1, r2, r3, r4, r5])
torch.manual_seed(42)
case("random_global_42", {}, [torch.rand(4, dtype=torch.float64), torch.randn(3)])

# Optimizers: parameters and per-step gradients are fixed; the parameters and state after 3 steps are compared.
p0 = values(20, 3, 2)
p1 = values(21, 4)
grads = [(values(30 + s, 3, 2), values(40 + s, 4)) for s in range(3)]
opt_inputs = {"p0": p0, "p1": p1}
for s, (g0, g1) in enumerate(grads):
    opt_inputs[f"g0_{s}"] = g0
    opt_inputs[f"g1_{s}"] = g1


def run_optimizer(make):
    q0, q1 = p0.clone().requires_grad_(True), p1.clone().requires_grad_(True)
    opt = make([q0, q1])
    for g0, g1 in grads:
        q0.grad, q1.grad = g0.clone(), g1.clone()
        opt.step()
    return opt, q0, q1


opt, q0, q1 = run_optimizer(lambda ps: torch.optim.AdamW(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1))
st = opt.state[q0]
case("adamw_3_steps", opt_inputs, [q0, q1, st["exp_avg"], st["exp_avg_sq"], torch.tensor(int(st["step"].item()))])
opt, q0, q1 = run_optimizer(lambda ps: torch.optim.AdamW(ps, lr=0.05, weight_decay=0.0, amsgrad=True))
case("adamw_amsgrad_3_steps", opt_inputs, [q0, q1, opt.state[q0]["max_exp_avg_sq"]])
opt, q0, q1 = run_optimizer(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01))
case("sgd_momentum_3_steps", opt_inputs, [q0, q1, opt.state[q0]["momentum_buffer"]])
opt, q0, q1 = run_optimizer(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))
case("sgd_nesterov_3_steps", opt_inputs, [q0, q1])

# Gradient clipping.
c0, c1 = values(50, 3).requires_grad_(True), values(51, 2, 2).requires_grad_(True)
c0.grad, c1.grad = values(52, 3) * 3, values(53, 2, 2) * 3
total = torch.nn.utils.clip_grad_norm_([c0, c1], max_norm=1.0)
case("clip_grad_norm", {"g0": values(52, 3) * 3, "g1": values(53, 2, 2) * 3}, [c0.grad, c1.grad, total.to(torch.float64)])

# The trainer's optimizer step (issue 13): clip_grad_norm_ to 0.5, then AdamW(foreach) with a decayed group
# (matrices) and an undecayed one (vectors), 5 steps; the multi-tensor, fused and per-tensor paths must all give this.
clip_inputs = {"p0": p0, "p1": p1}
clip_grads = [(values(60 + s, 3, 2) * 2, values(70 + s, 4) * 2) for s in range(5)]
for s, (g0, g1) in enumerate(clip_grads):
    clip_inputs[f"g0_{s}"] = g0
    clip_inputs[f"g1_{s}"] = g1
q0, q1 = p0.clone().requires_grad_(True), p1.clone().requires_grad_(True)
opt = torch.optim.AdamW([{"params": [q0], "weight_decay": 0.1}, {"params": [q1], "weight_decay": 0.0}],
                        lr=0.02, betas=(0.9, 0.95), eps=1e-8, foreach=True)
norms = []
for g0, g1 in clip_grads:
    q0.grad, q1.grad = g0.clone(), g1.clone()
    norms.append(torch.nn.utils.clip_grad_norm_([q0, q1], max_norm=0.5).to(torch.float64))
    opt.step()
case("clip_adamw_groups_5_steps", clip_inputs, [q0, q1, opt.state[q0]["exp_avg"], opt.state[q1]["exp_avg_sq"], torch.stack(norms)])

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")))
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes) with torch {torch.__version__}")
