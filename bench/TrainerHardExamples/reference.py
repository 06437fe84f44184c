#!/usr/bin/python3
"""PyTorch-Python twin of bench/TrainerHardExamples: the Trainer's loop in Python, without and with hard-example tracking.

Usage: /usr/bin/python3 reference.py RAW_DIR OUT_DIR LAYERS EMBD HEADS VOCAB B T THREADS CAPACITY QUANTILE LOG_INTERVAL
       REPLAY_STEPS
RAW_DIR holds the bench's episodes (tokens.i32 (E, T+1), mask.u8 (E, T+1), keys.u64 (E), meta.json). Two trainers are
built (same init and data order): "off" (no tracker) and "on" (a top-K tracker fed each row's masked mean cross-entropy).
Then, one command per stdin line, one JSON line answered on stdout:
  off N | on N  run N steps of that trainer -> {"times_ms": [...], "tracker_us": [...]} (tracker_us: the tracking work
                inside each step of "on": host copies of the per-row losses and counts, tracker, metrics, snapshot)
  quit          replay the "on" trainer's tracking work (same steps, rows, losses) outside the step, continued to
                REPLAY_STEPS steps (next batches of its loader, its losses again cyclically), and exit ->
                {"replay_us": [...], "buffer": K', "seen": n, "admitted": m, "replay_buffer_matches": bool, "replay_buffer": size}
One step mirrors MaskedSft.MLNet.Training.Trainer.TrainStep: lr of warmup + cosine, batch, zero_grad, hidden states, the
masked-only LM head (only supervised positions are projected onto the vocabulary, as TinyGpt.ForwardLoss does), per-token
CE scattered back to (B, T), token-mean loss, backward, loss/accuracy/max row loss read back, clip_grad_norm(1.0), AdamW
(decay on matrices/embeddings only), parameter norm, a metrics line every LOG_INTERVAL steps and at the end of a chunk.
The model is scripts/reference/model_reference.py's Gpt (the architecture of TinyGpt).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "reference"))
from model_reference import Gpt  # noqa: E402

IGNORE = -100
MAX_STEPS, WARMUP, PEAK_LR, MIN_LR = 100_000, 10, 1e-3, 1e-4


# ---- the tracker: bench/HardExamples/reference_tracker.py's (heap top-K, dedup by key), with the trainer's payload ----
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "HardExamples"))
from reference_tracker import PyHardExampleTracker as _ReferenceTracker  # noqa: E402


class PyHardExampleTracker(_ReferenceTracker):
    """The reference tracker plus the trainer's metrics section and its full snapshot payload (hard_examples.jsonl)."""

    def metrics(self):
        top = max((e["loss"] for e in self.entries.values()), default=math.nan)
        return {"buffer_size": len(self.entries), "threshold": self.threshold, "top_loss": top,
                "samples_seen": self.total_seen, "admitted": self.total_admitted}

    def snapshot(self, step):
        count = int(sum(a.size for a in self.interval))
        payload = {
            "step": step, "process_index": 0, "process_count": 1,
            "entries": [dict(loss=e["loss"], step=e["step"], max_loss_step=e["max_loss_step"], process_index=0,
                             global_index=e["global_index"], key=k, text=e["text"], thumbnail_png=None,
                             seen_count=e["seen"]) for k, e in self.sorted_entries()],
            "threshold": self.threshold, "interval_sample_count": count,
            "interval_max_loss": float(max(a.max() for a in self.interval)) if count else math.nan,
            "interval_non_finite_count": 0, "total_samples_seen": self.total_seen, "total_admitted": self.total_admitted,
        }
        self.interval, self.threshold = [], math.nan
        return payload


# ---- data and model ----
class Episodes:
    def __init__(self, directory):
        with open(os.path.join(directory, "meta.json")) as f:
            meta = json.load(f)
        e, n = meta["episodes"], meta["length"]
        self.count = e
        self.tokens = np.fromfile(os.path.join(directory, "tokens.i32"), dtype="<i4").reshape(e, n)
        self.mask = np.fromfile(os.path.join(directory, "mask.u8"), dtype=np.uint8).reshape(e, n)
        self.keys = np.fromfile(os.path.join(directory, "keys.u64"), dtype="<u8")


def hidden(model, idx):
    """The final hidden states (B, T, C) of model_reference.Gpt (its forward without the LM head)."""
    tr = model.transformer
    x = tr.wte(idx) + tr.wpe(torch.arange(idx.shape[1]))
    for block in tr.h:
        x = block(x)
    return tr.ln_f(x)


def decode(ids):
    """TokenIdDecoder's rendering: [ids 12 345 6]."""
    return "[ids " + " ".join(map(str, ids)) + "]" if len(ids) else "[ids]"


class MiniTrainer:
    def __init__(self, data, cfg, b, t, out_dir, tracker, interval):
        torch.manual_seed(0)
        self.model = Gpt(cfg)
        for name, p in self.model.named_parameters():
            with torch.no_grad():
                if name.endswith(".bias"):
                    p.zero_()
                elif ".ln_" in name or "ln_f" in name:
                    p.fill_(1.0)
                else:
                    p.normal_(0.0, 0.02)
        self.params = list(self.model.parameters())
        decay = [p for p in self.params if p.dim() >= 2]
        no_decay = [p for p in self.params if p.dim() < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                                     lr=PEAK_LR, betas=(0.9, 0.95), eps=1e-8)
        self.data, self.b, self.t, self.interval = data, b, t, interval
        self.step, self.epoch, self.position, self.order = 0, -1, 0, None
        self.batches = data.count // b
        os.makedirs(out_dir, exist_ok=True)
        self.metrics_file = open(os.path.join(out_dir, "metrics.jsonl"), "w")
        self.tracker = tracker
        self.snapshots = open(os.path.join(out_dir, "hard_examples.jsonl"), "w") if tracker else None
        self.recorded = []  # (step, rows, per-row losses tensor, per-row counts tensor) for the replay

    def lr_at(self, step):
        if step < WARMUP:
            return PEAK_LR * (step + 1) / WARMUP
        progress = min(1.0, (step - WARMUP) / max(1, MAX_STEPS - WARMUP))
        return MIN_LR + 0.5 * (PEAK_LR - MIN_LR) * (1 + math.cos(math.pi * progress))

    def next_rows(self):
        if self.order is None or self.position >= self.batches:
            self.epoch += 1
            self.position = 0
            self.order = np.random.default_rng(1337 + self.epoch).permutation(self.data.count)
        rows = self.order[self.position * self.b:(self.position + 1) * self.b]
        self.position += 1
        return rows

    def track(self, tracker, snapshots, step, rows, per_row, row_t, rec):
        """The tracking work of one micro-batch and step (what Trainer does with tracking on)."""
        row_loss = per_row.tolist()
        row_targets = row_t.tolist()
        sel = [i for i in range(len(row_loss)) if row_targets[i] > 0]
        if sel:
            losses = [row_loss[i] for i in sel]
            keys = [f"{int(self.data.keys[rows[i]]):016x}@0" for i in sel]

            def payload(j):
                r = int(rows[sel[j]])
                y, m = self.data.tokens[r, 1:], self.data.mask[r, 1:]
                return {"text": decode(y[m != 0].tolist()), "global_index": r}

            tracker.update_losses(step, losses)
            tracker.add_examples(step, losses, keys, payload)
        rec["hard_examples"] = tracker.metrics()
        if step % self.interval == 0:
            snapshots.write(json.dumps(tracker.snapshot(step)) + "\n")
            snapshots.flush()

    def train_step(self, last_of_chunk):
        lr = self.lr_at(self.step)
        for g in self.opt.param_groups:
            g["lr"] = lr
        rows = self.next_rows()
        tok = self.data.tokens[rows]
        msk = self.data.mask[rows]
        x = torch.from_numpy(tok[:, :-1].astype(np.int64))                                  # (B, T)
        y = torch.from_numpy(tok[:, 1:].astype(np.int64))                                   # (B, T)
        m = torch.from_numpy(msk[:, 1:].astype(np.float32))                                 # (B, T)
        supervised = int(np.count_nonzero(msk[:, 1:]))                                      # the step's normalizer
        self.opt.zero_grad(set_to_none=True)
        b, t = x.shape
        h = hidden(self.model, x).reshape(b * t, -1)                                        # (BT, C)
        flat_y = y.reshape(-1)
        keep = (m.reshape(-1) != 0) & (flat_y != IGNORE)                                    # (BT)
        index = keep.nonzero().reshape(-1)                                                  # (N)
        logits = h.index_select(0, index) @ self.model.transformer.wte.weight.t()          # (N, V)
        sel_y = flat_y.index_select(0, index)                                               # (N)
        nll = F.cross_entropy(logits, sel_y, reduction="none")                              # (N)
        token_nll = torch.zeros(b * t).scatter(0, index, nll).reshape(b, t)                 # (B, T)
        eff = keep.to(torch.float32).reshape(b, t)
        loss = (token_nll * eff).sum() / max(supervised, 1)
        loss.backward()
        tracker_us = None
        with torch.no_grad():
            loss_v = loss.item()
            correct = (logits.argmax(-1) == sel_y).sum().item()
            row_t = eff.sum(1)                                                              # (B)
            per_row = token_nll.detach().sum(1) / row_t.clamp(min=1.0)                      # (B)
            max_sample = per_row.max().item()
            rec = {}
            if self.tracker is not None:
                self.recorded.append((self.step + 1, rows, per_row, row_t))  # fresh tensors, kept for the replay
                start = time.perf_counter()
                self.track(self.tracker, self.snapshots, self.step + 1, rows, per_row, row_t, rec)
                tracker_us = (time.perf_counter() - start) * 1e6
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.params, 1.0))
        self.opt.step()
        self.step += 1
        with torch.no_grad():
            param_norm = math.sqrt(sum(p.square().sum().item() for p in self.params))
        if self.step % self.interval == 0 or last_of_chunk:
            rec.update(step=self.step, loss=loss_v, grad_norm=grad_norm, param_norm=param_norm,
                       accuracy=correct / max(supervised, 1), max_sample_loss=max_sample, lr=lr, supervised=supervised)
            self.metrics_file.write(json.dumps(rec) + "\n")
            self.metrics_file.flush()
        return tracker_us

    def run(self, n):
        times, tracker = [], []
        for i in range(n):
            start = time.perf_counter()
            us = self.train_step(i == n - 1)
            times.append((time.perf_counter() - start) * 1000.0)
            if us is not None:
                tracker.append(us)
        return times, tracker

    def replay(self, capacity, quantile, out_dir, steps):
        """Returns the per-step times (µs) and whether the replay's buffer equalled the trainer's at the run's end."""
        tracker = PyHardExampleTracker(capacity, quantile)
        times, matched, n = [], not self.recorded, len(self.recorded)
        with open(os.path.join(out_dir, "replay_hard_examples.jsonl"), "w") as snapshots:
            for i in range(max(steps, n)):
                if i < n:
                    step, rows, per_row, row_t = self.recorded[i]
                else:
                    _, _, per_row, _ = self.recorded[i % n]
                    step, rows = i + 1, self.next_rows()
                    row_t = torch.from_numpy(np.count_nonzero(self.data.mask[rows, 1:], axis=1).astype(np.float32))
                start = time.perf_counter()
                self.track(tracker, snapshots, step, rows, per_row, row_t, {})
                times.append((time.perf_counter() - start) * 1e6)
                if i == n - 1:
                    matched = [(k, e["loss"]) for k, e in tracker.sorted_entries()] == \
                              [(k, e["loss"]) for k, e in self.tracker.sorted_entries()]
        return times, matched, len(tracker.entries)


def main():
    raw, out = sys.argv[1:3]
    layers, embd, heads, vocab, b, t, threads, capacity = (int(a) for a in sys.argv[3:11])
    quantile, interval, replay_steps = float(sys.argv[11]), int(sys.argv[12]), int(sys.argv[13])
    torch.set_num_threads(threads)
    data = Episodes(raw)
    cfg = {"n_layer": layers, "n_head": heads, "n_embd": embd, "block_size": t, "vocab_size": vocab, "bias": True,
           "dropout": 0.0}
    trainers = {"off": MiniTrainer(data, cfg, b, t, os.path.join(out, "off"), None, interval),
                "on": MiniTrainer(data, cfg, b, t, os.path.join(out, "on"), PyHardExampleTracker(capacity, quantile), interval)}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            on = trainers["on"]
            times, matched, replay_buffer = on.replay(capacity, quantile, os.path.join(out, "on"), replay_steps)
            print(json.dumps({"replay_us": times, "buffer": len(on.tracker.entries), "seen": on.tracker.total_seen,
                              "admitted": on.tracker.total_admitted, "replay_buffer_matches": matched,
                              "replay_buffer": replay_buffer}), flush=True)
            return
        times, tracker_us = trainers[parts[0]].run(int(parts[1]))
        print(json.dumps({"times_ms": times, "tracker_us": tracker_us}), flush=True)


if __name__ == "__main__":
    main()
