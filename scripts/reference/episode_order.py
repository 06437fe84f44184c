"""Reference of the episode loader's order: SplitMix64 -> xoshiro256** -> Lemire bounded draws -> Fisher-Yates.

An independent Python implementation of the algorithm written down in docs/episode-dataset-format.md ("Loader order").
Writes test/MaskedSft.MLNet.Tests/Fixtures/Data/episode_order.json: for several (seed, epoch, n), the first generator outputs
and the permutation of 0..n-1; Xoshiro256StarStarTests compares EpisodeDataLoader's orders with it.
Run: /usr/bin/python3 scripts/reference/episode_order.py
"""
import json
import os

MASK64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


class Xoshiro:
    def __init__(self, seed):
        state, self.s = seed & MASK64, []
        for _ in range(4):
            state = (state + 0x9E3779B97F4A7C15) & MASK64
            self.s.append(mix64(state))

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def bounded(self, n):
        m = self.next() * n
        if (m & MASK64) < n:
            threshold = ((1 << 64) - n) % n
            while (m & MASK64) < threshold:
                m = self.next() * n
        return m >> 64


def epoch_generator(seed, epoch):
    return Xoshiro(seed ^ mix64((epoch + 0x6A09E667F3BCC909) & MASK64))


def permutation(seed, epoch, n):
    order = list(range(n))
    rng = epoch_generator(seed, epoch)
    for i in range(n - 1, 0, -1):
        j = rng.bounded(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


cases = []
for seed in (0, 1337, MASK64):
    for epoch in (0, 1, 7):
        for n in (1, 2, 10, 37):
            rng = epoch_generator(seed, epoch)
            cases.append({
                "seed": str(seed),
                "epoch": epoch,
                "n": n,
                "firstOutputs": [str(rng.next()) for _ in range(4)],
                "permutation": permutation(seed, epoch, n),
            })
cases.append({"seed": "1337", "epoch": 3, "n": 1000, "firstOutputs": [], "permutation": permutation(1337, 3, 1000)})

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(root, "test", "MaskedSft.MLNet.Tests", "Fixtures", "Data", "episode_order.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"generator": "scripts/reference/episode_order.py", "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {out}")
