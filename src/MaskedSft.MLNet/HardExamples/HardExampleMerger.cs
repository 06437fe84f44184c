// Merges the hard-example payloads of P processes into K entries with round-robin fairness across processes.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Combines per-process payloads so that no process takes every slot when losses are close.
/// <para>The merge of payloads P_0..P_{n-1} into K entries is defined as:</para>
/// <list type="number">
/// <item>De-duplicate by key across processes: of all copies of a key, keep the one with the highest loss (ties: the lowest
/// process index, then the earliest position in its payload); its <see cref="HardExampleEntry.Step"/> becomes the latest step of
/// all copies and its <see cref="HardExampleEntry.SeenCount"/> their sum.</item>
/// <item>Rank within each process: sort each process's surviving entries by (loss descending, key ordinal); rank r = position.</item>
/// <item>Interleave by rank: order all candidates by (rank ascending, loss descending, process index ascending, key ordinal).
/// So round r offers every process's r-th best entry before any process's (r+1)-th, and within a round higher losses go first.</item>
/// <item>Keep the first K candidates, then sort them by (loss descending, key ordinal) like a tracker's buffer.</item>
/// </list>
/// <para>
/// Consequences: with P processes each holding at least ceil(K/P) entries, every process gets floor(K/P) or ceil(K/P) slots;
/// a process with fewer entries gives its unused share to the others in rank order; for P = 1 the merge is the top K.
/// </para>
/// </summary>
public static class HardExampleMerger
{
    /// <summary>Merges <paramref name="payloads"/> into at most <paramref name="capacity"/> entries (see the class remarks).</summary>
    /// <param name="payloads">One payload per process (a payload's <see cref="HardExamplePayload.ProcessIndex"/> orders ties).</param>
    /// <param name="capacity">K, the number of entries to keep.</param>
    /// <returns>
    /// A payload with <see cref="HardExamplePayload.ProcessIndex"/> -1, <see cref="HardExamplePayload.ProcessCount"/> = number of
    /// payloads, counts summed, the maximum of the interval maxima, the step of the latest payload, and the threshold averaged
    /// with interval-sample-count weights.
    /// </returns>
    /// <exception cref="ArgumentNullException">When <paramref name="payloads"/> or one of them is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="capacity"/> is not positive.</exception>
    public static HardExamplePayload Merge(IReadOnlyList<HardExamplePayload> payloads, int capacity)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        for (int i = 0; i < payloads.Count; i++)
        {
            if (payloads[i] is null || payloads[i].Entries is null)
            {
                throw new ArgumentNullException(nameof(payloads), $"payload {i} or its entries is null.");
            }
        }

        // 1. Cross-process de-duplication by key.
        var best = new Dictionary<string, (HardExampleEntry Entry, int Process, int Position, long LatestStep, long Seen)>(StringComparer.Ordinal);
        for (int p = 0; p < payloads.Count; p++)
        {
            int process = payloads[p].ProcessIndex;
            var entries = payloads[p].Entries;
            for (int position = 0; position < entries.Count; position++)
            {
                var e = entries[position];
                if (!best.TryGetValue(e.Key, out var current))
                {
                    best[e.Key] = (e, process, position, e.Step, e.SeenCount);
                    continue;
                }

                bool wins = e.Loss > current.Entry.Loss
                    || (e.Loss == current.Entry.Loss && (process < current.Process || (process == current.Process && position < current.Position)));
                long latest = Math.Max(current.LatestStep, e.Step);
                long seen = current.Seen + e.SeenCount;
                best[e.Key] = wins ? (e, process, position, latest, seen) : current with { LatestStep = latest, Seen = seen };
            }
        }

        // 2. Rank within each process (the process of the surviving copy).
        var candidates = new List<(HardExampleEntry Entry, int Rank, int Process)>(best.Count);
        foreach (var group in best.Values.GroupBy(v => v.Process))
        {
            int rank = 0;
            foreach (var v in group.Select(v => v.Entry with { Step = v.LatestStep, SeenCount = v.Seen }).Order(EntryOrder.Instance))
            {
                candidates.Add((v, rank++, group.Key));
            }
        }

        // 3. Interleave by rank; 4. keep K and sort like a buffer.
        var merged = candidates
            .OrderBy(c => c.Rank)
            .ThenByDescending(c => c.Entry.Loss)
            .ThenBy(c => c.Process)
            .ThenBy(c => c.Entry.Key, StringComparer.Ordinal)
            .Take(capacity)
            .Select(c => c.Entry)
            .Order(EntryOrder.Instance)
            .ToArray();

        long samples = payloads.Sum(p => p.IntervalSampleCount);
        double weighted = 0;
        long weight = 0;
        foreach (var p in payloads)
        {
            if (p.IntervalSampleCount > 0 && !double.IsNaN(p.Threshold))
            {
                weighted += p.Threshold * p.IntervalSampleCount;
                weight += p.IntervalSampleCount;
            }
        }

        double max = double.NaN;
        foreach (var p in payloads)
        {
            if (!double.IsNaN(p.IntervalMaxLoss) && !(p.IntervalMaxLoss <= max))
            {
                max = p.IntervalMaxLoss;
            }
        }

        return new HardExamplePayload
        {
            Step = payloads.Count == 0 ? 0 : payloads.Max(p => p.Step),
            ProcessIndex = -1,
            ProcessCount = payloads.Count,
            Entries = merged,
            Threshold = weight == 0 ? double.NaN : weighted / weight,
            IntervalSampleCount = samples,
            IntervalMaxLoss = max,
            IntervalNonFiniteCount = payloads.Sum(p => p.IntervalNonFiniteCount),
            TotalSamplesSeen = payloads.Sum(p => p.TotalSamplesSeen),
            TotalAdmitted = payloads.Sum(p => p.TotalAdmitted),
        };
    }

    private sealed class EntryOrder : IComparer<HardExampleEntry>
    {
        public static readonly EntryOrder Instance = new();

        public int Compare(HardExampleEntry? x, HardExampleEntry? y) => HardExampleTracker.Compare(x!, y!);
    }
}
