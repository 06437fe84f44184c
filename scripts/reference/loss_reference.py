#!/usr/bin/python3
"""PyTorch reference for the losses of MaskedSft.MLNet.Losses: writes test/MaskedSft.MLNet.Tests/Fixtures/Losses/*.json.

Run with Debian's PyTorch (the same libtorch 1.13 as the .NET side):  /usr/bin/python3 scripts/reference/loss_reference.py

Conventions (the same as the C# code and the episode dataset):
  * masked cross-entropy works on ALIGNED tensors: logits[b, t] predicts targets[b, t]; mask[b, t] weights that target.
  * weighted SFT takes UNSHIFTED tokens: logits[b, t] predicts tokens[b, t + 1]; mask[b, i] and advantages[b, i] refer to
    token i AS A TARGET, so after the shift the target positions 1..T-1 use mask[:, 1:] and advantages[:, 1:].
  * effective mask = (mask != 0) & (target != ignore_index).
  * advantage normalisation (batch | sequence | none) uses valid tokens only: (a - mean) / (std + eps) with the population
    std; a group whose valid advantages are all equal (max == min) gives exactly 0; invalid positions are 0.
  * reduction mean uses an aggregation mode with a normaliser (supervised tokens, supervised sequences):
      token-mean               sum(l) / max(tokens, 1)
      seq-mean-token-mean      sum_s(sum_t l / max(n_s, 1)) / max(seqs, 1)
      seq-mean-token-sum       sum_s(sum_t l) / max(seqs, 1)
      seq-mean-token-sum-norm  sum_s(sum_t l / L) / max(seqs, 1), L a constant length (default: target positions T-1)
    where seqs counts sequences with at least one valid token.
The reference is written from the formulas above with plain torch ops, in float64.
"""
import json
import os
import sys

import torch

torch.manual_seed(1234)
DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "MaskedSft.MLNet.Tests", "Fixtures",
                   "Losses")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def flat_int(t):
    return [int(v) for v in t.detach().reshape(-1).tolist()]


def masked_ce(logits, targets, mask):
    """sum(CE * mask) / sum(mask), exactly 0 for an all-zero mask."""
    v = logits.shape[-1]
    ce = torch.nn.functional.cross_entropy(logits.reshape(-1, v), targets.reshape(-1), reduction="none").reshape(targets.shape)
    keep = mask != 0
    num = torch.where(keep, ce, torch.zeros_like(ce)).sum()
    den = keep.sum().clamp(min=1).to(logits.dtype)
    return num / den


def normalize_advantages(adv, eff, mode, eps):
    """Advantages used by the loss: zero outside valid positions."""
    valid = eff != 0
    zero = torch.zeros_like(adv)
    if mode == "none":
        return torch.where(valid, adv, zero)

    def norm(a, v):
        n = v.sum()
        if n == 0:
            return torch.zeros_like(a)
        vals = a[v]
        if vals.max() == vals.min():
            return torch.zeros_like(a)
        mean = vals.sum() / n
        var = ((vals - mean) ** 2).sum() / n
        std = var.sqrt()
        return torch.where(v, (a - mean) / (std + eps), torch.zeros_like(a))

    if mode == "batch":
        return norm(adv, valid)
    if mode == "sequence":
        return torch.stack([norm(adv[b], valid[b]) for b in range(adv.shape[0])])
    raise ValueError(mode)


def aggregate(weighted, eff, mode, tokens=None, seqs=None, norm_length=None):
    if tokens is None:
        tokens = int(eff.sum().item())
    seq_tokens = eff.sum(-1)
    if seqs is None:
        seqs = int((seq_tokens > 0).sum().item())
    if mode == "token-mean":
        return weighted.sum() / max(tokens, 1)
    seq_sum = weighted.sum(-1)
    if mode == "seq-mean-token-mean":
        return (seq_sum / seq_tokens.clamp(min=1)).sum() / max(seqs, 1)
    if mode == "seq-mean-token-sum":
        return seq_sum.sum() / max(seqs, 1)
    if mode == "seq-mean-token-sum-norm":
        length = norm_length if norm_length is not None else weighted.shape[-1]
        return (seq_sum / length).sum() / max(seqs, 1)
    raise ValueError(mode)


def weighted_sft(logits, tokens, masks, advantages, reduction="mean", ignore_index=-100, normalization="none",
                 temperature=1.0, eps=1e-8, aggregation="token-mean", norm_length=None):
    b, t, v = logits.shape
    if advantages is None:
        advantages = torch.ones(b, t, dtype=logits.dtype)
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand(b, t)
    shift_logits = logits[:, :-1, :] / temperature            # (B, T-1, V)
    targets = tokens[:, 1:]                                   # (B, T-1)
    mask = masks[:, 1:]
    adv = advantages[:, 1:].to(logits.dtype)
    valid = (mask != 0) & (targets != ignore_index)
    eff = valid.to(logits.dtype)
    safe = torch.where(targets == ignore_index, torch.zeros_like(targets), targets)
    logp = torch.log_softmax(shift_logits, dim=-1)
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)  # (B, T-1)
    per_token = torch.where(valid, nll, torch.zeros_like(nll))
    adv_used = normalize_advantages(adv, eff, normalization, eps)
    weighted = per_token * adv_used
    if reduction == "none":
        loss = weighted
    elif reduction == "sum":
        loss = weighted.sum()
    else:
        loss = aggregate(weighted, eff, aggregation, norm_length=norm_length)
    return loss, weighted, eff, adv_used


def case_masked_ce(name, b, t, v, mask):
    logits = torch.randn(b, t, v, dtype=DT, requires_grad=True)
    targets = torch.randint(0, v, (b, t))
    loss = masked_ce(logits, targets, mask)
    loss.backward()
    return {"name": name, "B": b, "T": t, "V": v, "logits": flat(logits), "targets": flat_int(targets),
            "mask": flat(mask), "loss": float(loss.item()), "grad_logits": flat(logits.grad)}


def case_weighted(name, b, t, v, options, adv_kind="token", ignore_positions=(), constant_adv=False, mask=None):
    logits = torch.randn(b, t, v, dtype=DT, requires_grad=True)
    tokens = torch.randint(0, v, (b, t))
    for (bi, ti) in ignore_positions:
        tokens[bi, ti] = -100
    if mask is None:
        mask = (torch.rand(b, t) < 0.7).to(DT)
        mask[:, 0] = 0
    if adv_kind == "none":
        adv = None
    elif adv_kind == "sequence":
        adv = torch.randn(b, dtype=DT)
    else:
        adv = torch.randn(b, t, dtype=DT) * 1.5 + 0.5
        if constant_adv:
            adv = torch.full((b, t), 0.1, dtype=DT)
    loss, weighted, eff, adv_used = weighted_sft(logits, tokens, mask, adv, **options)
    grad = None
    if loss.dim() == 0:
        loss.backward()
        grad = flat(logits.grad)
    return {"name": name, "B": b, "T": t, "V": v, "options": options, "logits": flat(logits), "tokens": flat_int(tokens),
            "mask": flat(mask), "advantages": None if adv is None else flat(adv), "advantage_shape": adv_kind,
            "loss": flat(loss), "per_token_loss": flat(weighted), "effective_mask": flat(eff),
            "advantages_used": flat(adv_used), "grad_logits": grad}


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    m = (torch.rand(3, 5) < 0.5).to(DT)
    m[0, 0] = 1
    cases.append(case_masked_ce("random_mask", 3, 5, 11, m))
    cases.append(case_masked_ce("all_ones", 2, 4, 9, torch.ones(2, 4, dtype=DT)))
    cases.append(case_masked_ce("all_zero", 2, 4, 9, torch.zeros(2, 4, dtype=DT)))
    with open(os.path.join(OUT, "masked_ce.json"), "w") as f:
        json.dump({"generator": "scripts/reference/loss_reference.py", "torch": torch.__version__, "cases": cases}, f)

    w = []
    w.append(case_weighted("mean_none_token", 2, 6, 7, {"reduction": "mean", "normalization": "none"}))
    w.append(case_weighted("sum_none_token", 2, 6, 7, {"reduction": "sum", "normalization": "none"}))
    w.append(case_weighted("none_none_token", 2, 6, 7, {"reduction": "none", "normalization": "none"}))
    w.append(case_weighted("mean_batch_token", 3, 6, 7, {"reduction": "mean", "normalization": "batch"}))
    w.append(case_weighted("mean_sequence_token", 3, 6, 7, {"reduction": "mean", "normalization": "sequence"}))
    w.append(case_weighted("mean_none_sequence_adv", 3, 5, 6, {"reduction": "mean", "normalization": "none"}, "sequence"))
    w.append(case_weighted("mean_batch_sequence_adv", 3, 5, 6, {"reduction": "mean", "normalization": "batch"}, "sequence"))
    w.append(case_weighted("mean_no_adv", 2, 6, 7, {"reduction": "mean", "normalization": "none"}, "none"))
    w.append(case_weighted("temperature_0_7", 2, 6, 7, {"reduction": "mean", "normalization": "none", "temperature": 0.7}))
    w.append(case_weighted("temperature_2", 2, 6, 7, {"reduction": "sum", "normalization": "batch", "temperature": 2.0}))
    w.append(case_weighted("ignore_index", 2, 6, 7, {"reduction": "mean", "normalization": "none"},
                           ignore_positions=[(0, 2), (1, 4), (1, 5)]))
    w.append(case_weighted("ignore_index_custom", 2, 6, 7, {"reduction": "mean", "normalization": "none", "ignore_index": 3}))
    w.append(case_weighted("constant_adv_batch", 2, 6, 7, {"reduction": "mean", "normalization": "batch"}, constant_adv=True))
    w.append(case_weighted("constant_adv_sequence", 2, 6, 7, {"reduction": "mean", "normalization": "sequence"},
                           constant_adv=True))
    w.append(case_weighted("all_zero_mask", 2, 6, 7, {"reduction": "mean", "normalization": "batch"},
                           mask=torch.zeros(2, 6, dtype=DT)))
    for agg in ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm"]:
        mask = (torch.rand(4, 7) < 0.6).to(DT)
        mask[2, :] = 0  # a sequence with no supervised token
        w.append(case_weighted("agg_" + agg, 4, 7, 5, {"reduction": "mean", "normalization": "none", "aggregation": agg},
                               mask=mask))
    mask = (torch.rand(3, 7) < 0.6).to(DT)
    w.append(case_weighted("agg_sum_norm_length_32", 3, 7, 5, {"reduction": "mean", "normalization": "sequence",
                                                                 "aggregation": "seq-mean-token-sum-norm", "norm_length": 32},
                           mask=mask))
    with open(os.path.join(OUT, "weighted_sft.json"), "w") as f:
        json.dump({"generator": "scripts/reference/loss_reference.py", "torch": torch.__version__, "cases": w}, f)
    print(f"wrote {len(cases)} masked-CE and {len(w)} weighted-SFT cases to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
