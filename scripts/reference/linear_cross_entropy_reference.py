#!/usr/bin/python3
"""PyTorch reference for TorchOps.LinearCrossEntropy (the chunked LM head + weighted cross-entropy of the native shim):
writes test/MaskedSft.MLNet.Tests/Fixtures/Losses/linear_cross_entropy.json.

Run with Debian's PyTorch (the same libtorch 1.13 as the .NET side):
    /usr/bin/python3 scripts/reference/linear_cross_entropy_reference.py

The reference is the NAIVE computation, in float64, written from the definition with plain torch ops (the whole (N, V)
logits, autograd for the gradients):
    z = hidden @ weight.T * scale                                   (N, V)
    l[i] = w[i] * (logsumexp(z[i]) - z[i, t[i]]), 0 where t[i] == ignore_index
    sum: sum(l); mean: sum(l) / max(1, #{i: t[i] != ignore_index}); none: l
For reduction none the backward takes a random upstream gradient g (N): the gradients are those of sum(g * l).
Each case stores its inputs (hidden, weight, targets, token weights or null, upstream or null), the options, the loss,
the per-row NLL (before the weight) and the gradients w.r.t. hidden, weight and the token weights.
"""
import json
import os

import torch

DT = torch.float64
IGNORE = -100
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "MaskedSft.MLNet.Tests", "Fixtures",
                   "Losses", "linear_cross_entropy.json")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor(t):
    kind = "Int64" if t.dtype == torch.int64 else "Float64"
    values = [int(v) for v in t.reshape(-1).tolist()] if kind == "Int64" else flat(t)
    return {"dtype": kind, "shape": list(t.shape), "data": values}


def naive(hidden, weight, targets, weights, reduction, scale, upstream):
    hidden = hidden.clone().requires_grad_(True)
    weight = weight.clone().requires_grad_(True)
    w = weights.clone().requires_grad_(True) if weights is not None else torch.ones(hidden.shape[0], dtype=DT)
    z = hidden @ weight.t() * scale                                           # (N, V)
    valid = targets != IGNORE
    safe = torch.where(valid, targets, torch.zeros_like(targets))
    nll = torch.logsumexp(z, 1) - z.gather(1, safe.unsqueeze(1)).squeeze(1)   # (N)
    nll = torch.where(valid, nll, torch.zeros_like(nll))
    per_row = nll * w
    if reduction == "none":
        loss = per_row
        (per_row * upstream).sum().backward()
    elif reduction == "sum":
        loss = per_row.sum()
        loss.backward()
    else:
        loss = per_row.sum() / valid.sum().clamp(min=1).to(DT)
        loss.backward()
    return loss.detach(), nll.detach(), hidden.grad, weight.grad, (w.grad if weights is not None else None)


def case(name, n, c, v, reduction, *, seed, ignore_fraction=0.25, weighted=True, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, c, generator=g, dtype=DT)
    weight = torch.randn(v, c, generator=g, dtype=DT) * 0.5
    targets = torch.randint(0, v, (n,), generator=g)
    if n > 0:
        targets[torch.rand(n, generator=g) < ignore_fraction] = IGNORE
    # mask x advantage: zeros (unsupervised), negatives and positives
    weights = None
    if weighted:
        mask = (torch.rand(n, generator=g) < 0.8).to(DT)
        weights = mask * torch.randn(n, generator=g, dtype=DT)
    upstream = torch.randn(n, generator=g, dtype=DT) if reduction == "none" else None
    loss, nll, gh, gw, gtw = naive(hidden, weight, targets, weights, reduction, scale, upstream)
    inputs = {"hidden": tensor(hidden), "weight": tensor(weight), "targets": tensor(targets)}
    if weights is not None:
        inputs["token_weights"] = tensor(weights)
    if upstream is not None:
        inputs["upstream"] = tensor(upstream)
    outputs = {"loss": tensor(loss), "nll": tensor(nll), "grad_hidden": tensor(gh), "grad_weight": tensor(gw)}
    if gtw is not None:
        outputs["grad_token_weights"] = tensor(gtw)
    return {"name": name, "reduction": reduction, "ignore_index": IGNORE, "scale": scale, "inputs": inputs,
            "outputs": outputs}


def main():
    cases = [
        case("mean_weighted", 13, 6, 11, "mean", seed=1),
        case("sum_weighted", 13, 6, 11, "sum", seed=2),
        case("none_weighted_upstream", 13, 6, 11, "none", seed=3),
        case("mean_unweighted", 10, 5, 9, "mean", seed=4, weighted=False),
        case("none_unweighted_upstream_temperature", 9, 4, 17, "none", seed=5, weighted=False, scale=1.0 / 0.7),
        case("sum_all_ignored", 5, 4, 7, "sum", seed=6, ignore_fraction=1.1),
        case("mean_all_ignored", 5, 4, 7, "mean", seed=7, ignore_fraction=1.1),
    ]
    doc = {"torch": torch.__version__, "ignore_index": IGNORE, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
