"""A straightforward Python hard-example tracker (heap-based top-K, de-duplicated by key), the reference of HardExampleTracker.

Semantics (identical to MaskedSft.MLNet.HardExamples.HardExampleTracker):
- update_losses(step, losses): adds the finite losses to the interval; threshold = np.quantile(interval losses, q) (linear).
- add_examples(step, losses, keys, payload_fn): each finite loss >= threshold is admitted; admitted samples compete for K slots
  ordered by (loss descending, key ascending); a key seen again keeps its highest loss and its latest step.
- snapshot(step): the entries sorted by (loss desc, key asc), the threshold and the interval count; resets the interval.
"""
import heapq
import math

import numpy as np


class _Worst:
    """Heap item: the smallest item is the worst entry (lowest loss; among equal losses the largest key)."""
    __slots__ = ("loss", "key", "version")

    def __init__(self, loss, key, version):
        self.loss, self.key, self.version = loss, key, version

    def __lt__(self, other):
        return self.loss < other.loss or (self.loss == other.loss and self.key > other.key)


class PyHardExampleTracker:
    def __init__(self, capacity=50, quantile=0.9):
        self.capacity, self.quantile = capacity, quantile
        self.entries = {}  # key -> dict(loss, step, max_loss_step, global_index, text, seen, version)
        self.heap = []     # lazily deleted _Worst items
        self.interval = []
        self.threshold = math.nan
        self.total_seen = 0
        self.total_admitted = 0

    def update_losses(self, step, losses):
        losses = np.asarray(losses, dtype=np.float32)
        self.total_seen += losses.size
        finite = losses[np.isfinite(losses)]
        if finite.size:
            self.interval.append(finite)
            self.threshold = float(np.quantile(np.concatenate(self.interval), self.quantile))
        return self.threshold

    def _peek_worst(self):
        while self.heap:
            top = self.heap[0]
            e = self.entries.get(top.key)
            if e is not None and e["version"] == top.version:
                return top
            heapq.heappop(self.heap)
        return None

    def add_examples(self, step, losses, keys, payload_fn=None):
        admitted = 0
        for i, loss in enumerate(losses):
            loss = float(loss)
            if not math.isfinite(loss) or loss < self.threshold:
                continue
            admitted += 1
            key = keys[i]
            e = self.entries.get(key)
            if e is not None:
                e["seen"] += 1
                e["step"] = max(e["step"], step)
                if loss > e["loss"]:
                    e.update(loss=loss, max_loss_step=step, version=e["version"] + 1,
                             **(payload_fn(i) if payload_fn else {}))
                    heapq.heappush(self.heap, _Worst(loss, key, e["version"]))
                continue
            if len(self.entries) >= self.capacity:
                worst = self._peek_worst()
                if not (_Worst(worst.loss, worst.key, 0) < _Worst(loss, key, 0)):
                    continue
                heapq.heappop(self.heap)
                del self.entries[worst.key]
            e = dict(loss=loss, step=step, max_loss_step=step, seen=1, version=0, **(payload_fn(i) if payload_fn else {}))
            self.entries[key] = e
            heapq.heappush(self.heap, _Worst(loss, key, 0))
        self.total_admitted += admitted
        return admitted

    def sorted_entries(self):
        return sorted(((k, e) for k, e in self.entries.items()), key=lambda kv: (-kv[1]["loss"], kv[0]))

    def snapshot(self, step):
        payload = {
            "step": step,
            "entries": [dict(key=k, loss=e["loss"], step=e["step"], max_loss_step=e["max_loss_step"], seen_count=e["seen"])
                        for k, e in self.sorted_entries()],
            "threshold": self.threshold,
            "interval_sample_count": int(sum(a.size for a in self.interval)),
        }
        self.interval, self.threshold = [], math.nan
        return payload
