#!/usr/bin/python3
"""PyTorch reference for the GRPO losses of MaskedSft.MLNet.Losses: writes test/MaskedSft.MLNet.Tests/Fixtures/Losses/grpo.json.

Run with Debian's PyTorch:  /usr/bin/python3 scripts/reference/grpo_reference.py

Written from the published definitions (row by row, in float64), not from any implementation:
  * Group advantages (DeepSeekMath GRPO, outcome supervision): A_i = (r_i - mean(r_group)) / (std(r_group) + eps);
    Dr. GRPO drops the division (scale none); "batch" divides by the std of every reward of the batch instead.
    std is the unbiased sample std (n - 1). A group with one member or all-equal rewards gets A = 0.
  * Clipped surrogate (PPO / GRPO): per token  -min(rho * A, clip(rho, 1 - eps_low, 1 + eps_high) * A),
    DAPO's decoupled eps_low / eps_high; dual clip (Ye et al. 2020): for A < 0 the loss is min(that, -c * A).
  * rho = exp(logp - logp_old) per token; GSPO's sequence level: rho_i = exp(mean over the row's tokens of (logp - logp_old)).
  * KL per token with d = logp - logp_ref: k1 = d, k2 = d^2 / 2, k3 = exp(-d) - 1 + d (Schulman's estimators; DeepSeekMath
    uses k3 = pi_ref/pi - log(pi_ref/pi) - 1). The loss adds beta * k.
  * Aggregations (TRL docs' loss_type definitions), over rows with at least one trained token (S of them, N tokens):
      grpo     (1/S) sum_i (1/|o_i|) sum_t l_it
      bnpo     sum l / N          (micro-batch token mean)
      dr_grpo  sum l / (S * L)    L = max completion length
      dapo     sum l / N          (global token mean; equal to bnpo for one batch)
  * mask_truncated_completions: every token of a truncated row is untrained.
Gradients are d loss / d logp.
"""
import json
import math
import os

import torch

torch.manual_seed(4321)
DT = torch.float64
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "MaskedSft.MLNet.Tests", "Fixtures",
                   "Losses")


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def group_advantages(rewards, groups, scale, eps):
    n = len(rewards)
    adv, zero = [], []
    all_mean = sum(rewards) / n
    batch_std = math.sqrt(sum((r - all_mean) ** 2 for r in rewards) / (n - 1)) if n > 1 else 0.0
    for i in range(n):
        members = [rewards[j] for j in range(n) if groups[j] == groups[i]]
        mean = sum(members) / len(members)
        is_zero = len(members) < 2 or max(members) == min(members)
        std = math.sqrt(sum((m - mean) ** 2 for m in members) / (len(members) - 1)) if len(members) > 1 else 0.0
        if is_zero:
            a = 0.0
        elif scale == "group":
            a = (rewards[i] - mean) / (std + eps)
        elif scale == "batch":
            a = (rewards[i] - mean) / (batch_std + eps)
        else:
            a = rewards[i] - mean
        adv.append(a)
        zero.append(1.0 if is_zero else 0.0)
    return adv, zero


def kl_term(d, estimator):
    if estimator == "k1":
        return d
    if estimator == "k2":
        return 0.5 * d * d
    return torch.exp(-d) - 1.0 + d


def grpo_loss(logp, old, adv, mask, ref, truncated, o):
    B, T = logp.shape
    trained = [[bool(mask[i][t] != 0) and not (o["mask_truncated"] and truncated[i] != 0) for t in range(T)] for i in range(B)]
    row_losses, row_counts = [], []
    clip = {"low": 0, "high": 0, "dual": 0}
    per_token = torch.zeros(B, T, dtype=DT)
    for i in range(B):
        toks = [t for t in range(T) if trained[i][t]]
        if o["is_level"] == "sequence" and toks:
            seq_log = sum(logp[i, t] - old[i, t] for t in toks) / len(toks)
        terms = []
        for t in toks:
            a = adv[i][t]
            rho = torch.exp(seq_log if o["is_level"] == "sequence" else logp[i, t] - old[i, t])
            clipped = torch.clamp(rho, 1 - o["eps_low"], 1 + o["eps_high"])
            clip["low"] += int(a < 0 and float(rho) < 1 - o["eps_low"])
            clip["high"] += int(a > 0 and float(rho) > 1 + o["eps_high"])
            clip["dual"] += int(o["dual_clip"] is not None and a < 0 and float(rho) > o["dual_clip"])
            pg = -torch.min(rho * a, clipped * a)
            if o["dual_clip"] is not None and a < 0:
                pg = torch.min(pg, torch.tensor(-o["dual_clip"] * a, dtype=DT))
            if o["beta"] > 0:
                pg = pg + o["beta"] * kl_term(logp[i, t] - ref[i, t], o["kl"])
            terms.append(pg)
            per_token[i, t] = pg.detach()
        row_losses.append(terms)
        row_counts.append(len(toks))
    S = sum(1 for c in row_counts if c > 0)
    N = sum(row_counts)
    total = sum((sum(ts) for ts in row_losses if ts), torch.zeros((), dtype=DT))
    agg = o["aggregation"]
    if agg == "grpo":
        loss = sum((sum(ts) / len(ts) for ts in row_losses if ts), torch.zeros((), dtype=DT)) / max(S, 1)
    elif agg in ("bnpo", "dapo"):
        loss = total / max(N, 1)
    else:
        L = o["max_completion_length"] or T
        loss = total / (max(S, 1) * L)
    return loss, per_token, clip, N


def loss_case(name, B, T, o, seed, all_masked_row=False, truncated_rows=(), seq_adv=False, spread=0.4):
    g = torch.Generator().manual_seed(seed)
    logp = -torch.rand(B, T, generator=g, dtype=DT) * 3 - 0.05
    old = logp + torch.randn(B, T, generator=g, dtype=DT) * spread
    old = torch.clamp(old, max=-1e-3)
    ref = logp + torch.randn(B, T, generator=g, dtype=DT) * 0.5
    ref = torch.clamp(ref, max=-1e-3)
    mask = (torch.rand(B, T, generator=g) > 0.3).to(DT)
    mask[:, 0] = 1.0
    if all_masked_row:
        mask[B - 1] = 0.0
    truncated = [1.0 if i in truncated_rows else 0.0 for i in range(B)]
    if seq_adv:
        adv_rows = (torch.randn(B, generator=g, dtype=DT)).tolist()
        adv = [[adv_rows[i]] * T for i in range(B)]
        adv_json = adv_rows
    else:
        a = torch.randn(B, T, generator=g, dtype=DT)
        adv = a.tolist()
        adv_json = flat(a)
    # untrained positions carry junk the loss must ignore (Atropos writes 1.0 as the inference log-prob there)
    old = torch.where(mask != 0, old, torch.full_like(old, 1.0))
    ref = torch.where(mask != 0, ref, torch.full_like(ref, 1.0))
    leaf = logp.clone().requires_grad_(True)
    loss, per_token, clip, n = grpo_loss(leaf, old, adv, mask.tolist(), ref, truncated, o)
    loss.backward()
    return {
        "name": name, "B": B, "T": T, "options": o,
        "logp": flat(logp), "old_logp": flat(old), "ref_logp": flat(ref), "mask": flat(mask), "truncated": truncated,
        "advantage_shape": "sequence" if seq_adv else "token", "advantages": adv_json,
        "loss": float(loss), "per_token_loss": flat(per_token), "grad_logp": flat(leaf.grad),
        "trained_tokens": n, "clip_low": clip["low"], "clip_high": clip["high"], "dual_clip": clip["dual"],
    }


def options(**kw):
    o = {"eps_low": 0.2, "eps_high": 0.2, "dual_clip": None, "is_level": "token", "aggregation": "grpo",
         "max_completion_length": None, "beta": 0.0, "kl": "k3", "mask_truncated": False}
    o.update(kw)
    return o


def kl_case(estimator):
    """Value and gradient of each KL estimator at chosen d = logp - ref (and their signs)."""
    d = torch.tensor([-1.5, -0.3, 0.0, 0.2, 1.1], dtype=DT)
    ref = torch.full_like(d, -1.2)
    logp = (ref + d).clone().requires_grad_(True)
    value = kl_term(logp - ref, estimator)
    value.sum().backward()
    return {"estimator": estimator, "logp": flat(logp), "ref_logp": flat(ref), "value": flat(value), "grad_logp": flat(logp.grad)}


def main():
    adv_cases = []
    rewards = [1.0, 0.0, 0.5, 0.25, 2.0, 2.0, 2.0, 3.0, -1.0, 4.0, 0.7]
    groups = [0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 0]   # group 1 all equal, group 3 a single member, group 0 shuffled in
    for scale in ("group", "batch", "none"):
        for eps in (1e-4, 0.5):
            adv, zero = group_advantages(rewards, groups, scale, eps)
            adv_cases.append({"scale": scale, "epsilon": eps, "rewards": rewards, "groups": groups, "advantages": adv, "zero_variance": zero})

    cases = []
    seed = 10
    for agg in ("grpo", "bnpo", "dr_grpo", "dapo"):
        for level in ("token", "sequence"):
            seed += 1
            cases.append(loss_case(f"{agg}-{level}", 3, 6, options(aggregation=agg, is_level=level), seed))
    cases.append(loss_case("dr_grpo-L16", 3, 6, options(aggregation="dr_grpo", max_completion_length=16), 40))
    cases.append(loss_case("clip-low-high-wide-spread", 4, 8, options(eps_low=0.1, eps_high=0.28), 41, spread=0.8))
    cases.append(loss_case("dual-clip", 4, 8, options(dual_clip=1.5), 42, spread=1.2))
    cases.append(loss_case("dual-clip-sequence", 4, 8, options(dual_clip=1.5, is_level="sequence", aggregation="dapo"), 43, spread=1.2))
    for est in ("k1", "k2", "k3"):
        cases.append(loss_case(f"kl-{est}", 3, 6, options(beta=0.1, kl=est), 50 + len(est) + ord(est[1])))
    cases.append(loss_case("kl-k3-bnpo-seq-adv", 3, 6, options(beta=0.04, kl="k3", aggregation="bnpo"), 60, seq_adv=True))
    cases.append(loss_case("all-masked-row", 3, 5, options(), 61, all_masked_row=True))
    cases.append(loss_case("mask-truncated", 4, 5, options(mask_truncated=True, aggregation="grpo"), 62, truncated_rows=(1, 2)))
    cases.append(loss_case("truncated-kept", 4, 5, options(mask_truncated=False, aggregation="dapo"), 62, truncated_rows=(1, 2)))

    kl_cases = [kl_case(e) for e in ("k1", "k2", "k3")]
    doc = {"generator": "scripts/reference/grpo_reference.py", "torch": torch.__version__,
           "advantage_cases": adv_cases, "cases": cases, "kl_cases": kl_cases}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "grpo.json"), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
    print(f"wrote {len(adv_cases)} advantage, {len(cases)} loss and {len(kl_cases)} KL cases")


if __name__ == "__main__":
    main()
