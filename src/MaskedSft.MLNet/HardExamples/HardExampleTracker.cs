// Tracks the hardest samples of a training run: interval loss statistics, a top-K buffer de-duplicated by key, snapshots, checkpoints.
using System.Text.Json;

using MaskedSft.MLNet.IO;

using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Keeps the K hardest distinct samples seen by one training process.
/// <para>
/// Each step, <see cref="UpdateLosses"/> adds the step's per-sample losses to the interval's statistics, whose
/// <see cref="HardExampleTrackerOptions.HighLossQuantile"/> quantile is the admission threshold; <see cref="AddExamples"/> then
/// admits every sample whose finite loss is at or above it. Admitted samples compete for K slots ordered by
/// (loss descending, key ordinal ascending): the buffer always equals the top K keys under that order, each scored by the
/// highest loss it was admitted with, with <see cref="HardExampleEntry.Step"/> = the latest step it was admitted at.
/// A key that falls out of the buffer can only come back with a loss that beats the buffer's minimum.
/// Payload (text, thumbnail) is fetched from the batch only for samples that enter the buffer.
/// </para>
/// <para>
/// <see cref="Snapshot"/> produces a serializable payload and starts a new interval; the buffer persists across intervals.
/// <see cref="SaveState"/>/<see cref="Restore"/> (and <see cref="Save"/>/<see cref="Load"/> for JSON files) resume exactly.
/// Memory is bounded: K entries plus at most <see cref="HardExampleTrackerOptions.ExactQuantileLimit"/> floats of interval
/// statistics. Not thread-safe.
/// </para>
/// </summary>
public sealed class HardExampleTracker
{
    private readonly List<HardExampleEntry> _entries;
    private readonly Dictionary<string, HardExampleEntry> _byKey;
    private readonly IntervalLossStatistics _interval;

    /// <summary>Creates a tracker.</summary>
    /// <param name="options">Options; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">When an option is out of range.</exception>
    public HardExampleTracker(HardExampleTrackerOptions? options = null)
    {
        Options = options ?? new HardExampleTrackerOptions();
        Options.Validate();
        _entries = new List<HardExampleEntry>(Options.Capacity + 1);
        _byKey = new Dictionary<string, HardExampleEntry>(Options.Capacity + 1, StringComparer.Ordinal);
        _interval = new IntervalLossStatistics(Options.HighLossQuantile, Options.ExactQuantileLimit);
    }

    /// <summary>The options.</summary>
    public HardExampleTrackerOptions Options { get; }

    /// <summary>Number of entries in the buffer (at most <see cref="HardExampleTrackerOptions.Capacity"/>).</summary>
    public int Count => _entries.Count;

    /// <summary>The buffer, sorted by loss descending then key; a live view, do not hold it across calls that change the tracker.</summary>
    public IReadOnlyList<HardExampleEntry> Entries => _entries;

    /// <summary>The keys of the buffer's entries (the de-duplication index; always as many as <see cref="Count"/>).</summary>
    public IReadOnlyCollection<string> Keys => _byKey.Keys;

    /// <summary>The current admission threshold (NaN before the interval's first finite loss).</summary>
    public double CurrentThreshold => _interval.Quantile;

    /// <summary>Finite losses seen in the current interval.</summary>
    public long IntervalSampleCount => _interval.Count;

    /// <summary>Largest finite loss of the current interval (NaN when none).</summary>
    public double IntervalMaxLoss => _interval.Max;

    /// <summary>Samples seen since the start (finite or not).</summary>
    public long TotalSamplesSeen { get; private set; }

    /// <summary>Samples admitted (at or above the threshold) since the start.</summary>
    public long TotalAdmitted { get; private set; }

    /// <summary>Approximate bytes retained by the tracker: entries (text, keys, thumbnails) and interval statistics.</summary>
    public long RetainedBytes
    {
        get
        {
            long bytes = _interval.RetainedBytes + (_entries.Capacity * 8L) + (_byKey.Count * 48L);
            foreach (var e in _entries)
            {
                bytes += 96 + (2L * (e.Key.Length + e.Text.Length)) + (e.ThumbnailPng?.Length ?? 0);
            }

            return bytes;
        }
    }

    /// <summary>Whether <paramref name="step"/> ends a logging interval (step % LogInterval == 0).</summary>
    /// <param name="step">The training step.</param>
    /// <returns>True on logging steps.</returns>
    public bool IsLogStep(long step) => step % Options.LogInterval == 0;

    /// <summary>Whether the buffer holds <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when tracked.</returns>
    public bool ContainsKey(string key) => _byKey.ContainsKey(key);

    /// <summary>Adds the step's per-sample losses to the interval's statistics and returns them.</summary>
    /// <param name="step">The training step.</param>
    /// <param name="perSampleLoss">One loss per sample; NaN and infinities are counted apart and never admitted.</param>
    /// <returns>The interval's statistics, including the new threshold.</returns>
    public HardExampleIntervalStats UpdateLosses(long step, ReadOnlySpan<float> perSampleLoss)
    {
        _interval.Add(perSampleLoss);
        TotalSamplesSeen += perSampleLoss.Length;
        return new HardExampleIntervalStats(step, _interval.Count, _interval.NonFiniteCount, _interval.Max, _interval.Quantile, _interval.IsExact);
    }

    /// <summary>
    /// Offers the batch's samples: each one with a finite loss at or above <see cref="CurrentThreshold"/> is admitted and
    /// competes for a slot (see the class remarks). Call <see cref="UpdateLosses"/> for the step first.
    /// </summary>
    /// <param name="step">The training step.</param>
    /// <param name="batch">Payload of the samples (fetched only for samples that enter the buffer).</param>
    /// <param name="perSampleLoss">One loss per sample.</param>
    /// <param name="keys">One de-duplication key per sample.</param>
    /// <returns>The number of samples admitted (at or above the threshold), whether or not they entered the buffer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="batch"/> or a key is null.</exception>
    /// <exception cref="ArgumentException">When the lengths of the batch, losses and keys differ.</exception>
    /// <exception cref="InvalidOperationException">When the interval has no finite loss yet (UpdateLosses was not called).</exception>
    public int AddExamples(long step, IHardExampleBatch batch, ReadOnlySpan<float> perSampleLoss, ReadOnlySpan<string> keys)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (perSampleLoss.Length != batch.Count || keys.Length != batch.Count)
        {
            throw new ArgumentException(
                $"AddExamples at step {step}: the batch has {batch.Count} samples but {perSampleLoss.Length} losses and {keys.Length} keys were given.");
        }

        double threshold = _interval.Quantile;
        if (double.IsNaN(threshold))
        {
            if (_interval.NonFiniteCount > 0)
            {
                return 0; // Only non-finite losses so far: nothing is admissible.
            }

            throw new InvalidOperationException(
                $"AddExamples at step {step}: the interval has no losses yet; call UpdateLosses(step, perSampleLoss) before AddExamples.");
        }

        int admitted = 0;
        for (int i = 0; i < perSampleLoss.Length; i++)
        {
            float loss = perSampleLoss[i];
            if (!float.IsFinite(loss) || loss < threshold)
            {
                continue;
            }

            var key = keys[i] ?? throw new ArgumentNullException(nameof(keys), $"AddExamples at step {step}: key {i} is null.");
            admitted++;
            Offer(step, batch, i, loss, key);
        }

        TotalAdmitted += admitted;
        return admitted;
    }

    private void Offer(long step, IHardExampleBatch batch, int sample, double loss, string key)
    {
        if (_byKey.TryGetValue(key, out var existing))
        {
            if (loss > existing.Loss)
            {
                RemoveEntry(existing);
                InsertEntry(MakeEntry(step, batch, sample, loss, key) with { Step = Math.Max(existing.Step, step), SeenCount = existing.SeenCount + 1 });
            }
            else
            {
                var updated = existing with { Step = Math.Max(existing.Step, step), SeenCount = existing.SeenCount + 1 };
                int index = IndexOf(existing);
                _entries[index] = updated;
                _byKey[key] = updated;
            }

            return;
        }

        if (_entries.Count >= Options.Capacity && !Precedes(loss, key, _entries[^1]))
        {
            return;
        }

        InsertEntry(MakeEntry(step, batch, sample, loss, key));
        if (_entries.Count > Options.Capacity)
        {
            RemoveEntry(_entries[^1]);
        }
    }

    private HardExampleEntry MakeEntry(long step, IHardExampleBatch batch, int sample, double loss, string key) => new()
    {
        Loss = loss,
        Step = step,
        MaxLossStep = step,
        ProcessIndex = Options.ProcessIndex,
        GlobalIndex = batch.GetGlobalIndex(sample),
        Key = key,
        Text = batch.GetText(sample) ?? string.Empty,
        ThumbnailPng = batch.GetThumbnailPng(sample),
    };

    /// <summary>Whether (loss, key) comes before <paramref name="entry"/> in the buffer order.</summary>
    internal static bool Precedes(double loss, string key, HardExampleEntry entry) =>
        loss > entry.Loss || (loss == entry.Loss && string.CompareOrdinal(key, entry.Key) < 0);

    /// <summary>The buffer order: loss descending, then key ordinal ascending.</summary>
    internal static int Compare(HardExampleEntry a, HardExampleEntry b)
    {
        int c = b.Loss.CompareTo(a.Loss);
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    }

    private int IndexOf(HardExampleEntry entry)
    {
        int lo = 0, hi = _entries.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Compare(_entries[mid], entry);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private void InsertEntry(HardExampleEntry entry)
    {
        int index = IndexOf(entry);
        _entries.Insert(index < 0 ? ~index : index, entry);
        _byKey[entry.Key] = entry;
    }

    private void RemoveEntry(HardExampleEntry entry)
    {
        _entries.RemoveAt(IndexOf(entry));
        _byKey.Remove(entry.Key);
    }

    /// <summary>Returns the payload for logging and starts a new interval (the buffer is kept).</summary>
    /// <param name="step">The step of the snapshot.</param>
    /// <returns>The payload with a copy of the entries.</returns>
    public HardExamplePayload Snapshot(long step)
    {
        var payload = Peek(step);
        _interval.Reset();
        return payload;
    }

    /// <summary>Returns the payload <see cref="Snapshot"/> would, without starting a new interval (the tracker is unchanged).</summary>
    /// <param name="step">The step of the payload.</param>
    /// <returns>The payload with a copy of the entries.</returns>
    public HardExamplePayload Peek(long step) => new()
    {
        Step = step,
        ProcessIndex = Options.ProcessIndex,
        ProcessCount = 1,
        Entries = _entries.ToArray(),
        Threshold = _interval.Quantile,
        IntervalSampleCount = _interval.Count,
        IntervalMaxLoss = _interval.Max,
        IntervalNonFiniteCount = _interval.NonFiniteCount,
        TotalSamplesSeen = TotalSamplesSeen,
        TotalAdmitted = TotalAdmitted,
    };

    /// <summary>Captures everything needed to resume exactly (see <see cref="Restore"/>).</summary>
    /// <returns>The state.</returns>
    public HardExampleTrackerState SaveState()
    {
        var estimator = _interval.Estimator?.State;
        return new HardExampleTrackerState
        {
            Options = Options,
            Entries = _entries.ToArray(),
            TotalSamplesSeen = TotalSamplesSeen,
            TotalAdmitted = TotalAdmitted,
            IntervalCount = _interval.Count,
            IntervalNonFiniteCount = _interval.NonFiniteCount,
            IntervalMax = _interval.Max,
            IntervalSortedLosses = _interval.IsExact ? _interval.SortedLosses.ToArray() : null,
            EstimatorHeights = estimator?.Heights,
            EstimatorPositions = estimator?.Positions,
            EstimatorDesiredPositions = estimator?.Desired,
        };
    }

    /// <summary>Rebuilds a tracker from <paramref name="state"/>.</summary>
    /// <param name="state">A state from <see cref="SaveState"/> (possibly through JSON).</param>
    /// <returns>A tracker that behaves exactly as the one that was saved.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="state"/> is null.</exception>
    /// <exception cref="InvalidDataException">When the state is inconsistent (version, sizes, order, duplicate keys).</exception>
    public static HardExampleTracker Restore(HardExampleTrackerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.FormatVersion != HardExampleTrackerState.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"hard-example tracker state has format version {state.FormatVersion}; this library reads version {HardExampleTrackerState.CurrentFormatVersion}.");
        }

        if (state.Options is null || state.Entries is null)
        {
            throw new InvalidDataException("hard-example tracker state lacks options or entries.");
        }

        HardExampleTracker tracker;
        try
        {
            tracker = new HardExampleTracker(state.Options);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new InvalidDataException($"hard-example tracker state has invalid options: {ex.Message}", ex);
        }

        if (state.Entries.Count > state.Options.Capacity)
        {
            throw new InvalidDataException($"hard-example tracker state has {state.Entries.Count} entries for a capacity of {state.Options.Capacity}.");
        }

        for (int i = 0; i < state.Entries.Count; i++)
        {
            var e = state.Entries[i];
            if (e is null || e.Key is null || e.Text is null || !double.IsFinite(e.Loss))
            {
                throw new InvalidDataException($"hard-example tracker state: entry {i} is null or lacks a key, a text or a finite loss.");
            }

            if (i > 0 && Compare(state.Entries[i - 1], e) >= 0)
            {
                throw new InvalidDataException($"hard-example tracker state: entries {i - 1} and {i} are not sorted by loss descending then key, or repeat a key.");
            }

            if (!tracker._byKey.TryAdd(e.Key, e))
            {
                throw new InvalidDataException($"hard-example tracker state: key '{e.Key}' appears twice.");
            }

            tracker._entries.Add(e);
        }

        tracker.TotalSamplesSeen = state.TotalSamplesSeen;
        tracker.TotalAdmitted = state.TotalAdmitted;
        if (state.IntervalSortedLosses is { } sorted)
        {
            if (sorted.Length != state.IntervalCount || !IsSortedFinite(sorted))
            {
                throw new InvalidDataException($"hard-example tracker state: {sorted.Length} interval losses for a count of {state.IntervalCount}, or not sorted and finite.");
            }

            tracker._interval.RestoreExact(state.IntervalCount, state.IntervalNonFiniteCount, state.IntervalMax, sorted);
        }
        else if (state.EstimatorHeights is { } heights && state.EstimatorPositions is { } positions && state.EstimatorDesiredPositions is { } desired)
        {
            try
            {
                tracker._interval.RestoreEstimator(state.IntervalCount, state.IntervalNonFiniteCount, state.IntervalMax, heights, positions, desired);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"hard-example tracker state: bad quantile estimator state ({ex.Message}).", ex);
            }
        }
        else
        {
            throw new InvalidDataException("hard-example tracker state has neither interval losses nor a quantile estimator state.");
        }

        return tracker;
    }

    private static bool IsSortedFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]) || (i > 0 && values[i] < values[i - 1]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes <see cref="SaveState"/> as JSON to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="path">The destination file.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var state = SaveState();
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, state, HardExampleJson.Options));
    }

    /// <summary>Reads a tracker saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The restored tracker.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="InvalidDataException">When the file is not valid tracker JSON; the message names the file.</exception>
    public static HardExampleTracker Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        try
        {
            var state = JsonSerializer.Deserialize<HardExampleTrackerState>(stream, HardExampleJson.Options)
                ?? throw new InvalidDataException("the file holds JSON null.");
            return Restore(state);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"hard-example tracker file '{Path.GetFullPath(path)}': {ex.Message} Hint: the file is corrupted or was written by another version; delete it to start a fresh tracker.", ex);
        }
    }

    /// <summary>Merges the payloads of several processes into K entries with round-robin fairness; see <see cref="HardExampleMerger.Merge"/>.</summary>
    /// <param name="payloads">One payload per process.</param>
    /// <param name="capacity">K, the number of entries to keep.</param>
    /// <returns>The merged payload.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="payloads"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="capacity"/> is not positive.</exception>
    public static HardExamplePayload Merge(IReadOnlyList<HardExamplePayload> payloads, int capacity) => HardExampleMerger.Merge(payloads, capacity);
}
