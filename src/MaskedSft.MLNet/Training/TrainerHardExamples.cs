// The trainer's hard-example tracking: feeds the tracker each micro-batch's per-row losses, logs snapshots, checkpoints it.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.IO;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Hard-example tracking inside <see cref="Trainer"/>. Every micro-batch's rows that have supervised targets are offered to
/// a <see cref="HardExampleTracker"/> with their masked mean cross-entropy (from the training forward pass); on the
/// tracker's log steps and at the last step a snapshot goes to <c>hard_examples.jsonl</c> (one payload per line) and to
/// the progress log; checkpoints hold the tracker's state (<c>hard_examples.json</c>) so a resumed run continues it exactly.
/// <para>Data parallel: every rank tracks its own rows (entries carry its <c>process_index</c>); at a snapshot step the
/// ranks' payloads are all-gathered and rank 0 merges them round-robin (<see cref="HardExampleMerger"/>) into the one
/// logged snapshot; a checkpoint holds every rank's tracker (<c>hard_examples.json</c> for rank 0,
/// <c>hard_examples.rankR.json</c> for rank R).</para>
/// </summary>
internal sealed class TrainerHardExamples : IDisposable
{
    /// <summary>The tracker state file inside a checkpoint folder.</summary>
    public const string StateFileName = "hard_examples.json";

    /// <summary>The snapshot log inside the run directory.</summary>
    public const string LogFileName = "hard_examples.jsonl";

    private const int LoggedEntries = 3;
    private readonly HardExampleTrackerOptions _options;
    private readonly ITokenDecoder _decoder;
    private readonly long _ignoreIndex;
    private readonly bool _useLossMask;
    private readonly long _startStep;
    private readonly TextWriter? _progress;
    private readonly ProcessGroup? _group;
    private StepJsonLinesFile? _snapshots;

    public TrainerHardExamples(TrainerOptions options, long maxSteps, TextWriter? progress, ProcessGroup? group = null)
    {
        _group = group is { WorldSize: > 1 } ? group : null;
        _options = options.HardExamples ?? throw new ArgumentException("hard-example tracking is off.", nameof(options));
        if (_group is not null) _options = _options with { ProcessIndex = _group.Rank, ProcessCount = _group.WorldSize };
        _decoder = options.HardExampleDecoder ?? TokenIdDecoder.Instance;
        _ignoreIndex = options.Loss.IgnoreIndex;
        _useLossMask = options.UseLossMask;
        _startStep = options.HardExamplesStartStep ?? Math.Min(options.WarmupSteps + 1L, (maxSteps / 2) + 1);
        _progress = _group is { IsMain: false } ? null : progress;
        Tracker = new HardExampleTracker(_options);
    }

    /// <summary>The tracker (replaced by <see cref="Restore"/>).</summary>
    public HardExampleTracker Tracker { get; private set; }

    /// <summary>The last snapshot written, or null.</summary>
    public HardExamplePayload? LastSnapshot { get; private set; }

    /// <summary>Whether the samples of <paramref name="step"/> are tracked (from the start step on).</summary>
    public bool Tracks(long step) => step >= _startStep;

    /// <summary>Opens hard_examples.jsonl in the run directory (keeping lines up to <paramref name="keepUpToStep"/> on resume).</summary>
    public void OpenLog(string runDirectory, long? keepUpToStep)
    {
        _snapshots?.Dispose();
        _snapshots = new StepJsonLinesFile(Path.Combine(runDirectory, LogFileName), keepUpToStep);
    }

    /// <summary>Offers a micro-batch's rows with supervised targets (call it for steps it <see cref="Tracks"/>).</summary>
    /// <param name="step">The 1-based step being computed.</param>
    /// <param name="batch">The micro-batch.</param>
    /// <param name="rowLoss">(Rows) masked mean cross-entropy per row.</param>
    /// <param name="rowTargets">(Rows) supervised targets per row.</param>
    public void Observe(long step, EpisodeBatch batch, ReadOnlySpan<float> rowLoss, ReadOnlySpan<float> rowTargets)
    {
        var rows = new List<int>(batch.Rows);
        for (var r = 0; r < batch.Rows; r++)
        {
            if (rowTargets[r] > 0) rows.Add(r);
        }

        if (rows.Count == 0) return;
        var losses = new float[rows.Count];
        for (var i = 0; i < losses.Length; i++) losses[i] = rowLoss[rows[i]];
        var view = new EpisodeHardExampleBatch(batch, rows.ToArray(), _decoder, _ignoreIndex, _useLossMask);
        Tracker.UpdateLosses(step, losses);
        Tracker.AddExamples(step, view, losses, view.Keys());
    }

    /// <summary>The metrics section after a step.</summary>
    public HardExampleMetrics Metrics() => new(
        Tracker.Count,
        Tracker.CurrentThreshold,
        Tracker.Count > 0 ? Tracker.Entries[0].Loss : double.NaN,
        Tracker.TotalSamplesSeen,
        Tracker.TotalAdmitted);

    /// <summary>After a completed step: on the tracker's log steps and at the last planned step, takes a snapshot (which
    /// starts a new interval), appends it to the log file and prints its top entries. With a process group every rank
    /// must call it at the same steps: the payloads are all-gathered and merged (the merge is what rank 0 logs).</summary>
    /// <returns>The snapshot (merged across ranks), or null when none was due.</returns>
    public HardExamplePayload? AfterStep(long step, long maxSteps)
    {
        if (!Tracks(step) || !(Tracker.IsLogStep(step) || step == maxSteps)) return null;
        var payload = Tracker.Snapshot(step);
        if (_group is not null) payload = MergeAcrossRanks(_group, payload, _options.Capacity);
        LastSnapshot = payload;
        if (_snapshots is not null)
        {
            var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload, HardExampleJson.Options);
            _snapshots.WriteLine(json);
        }

        if (_progress is not null)
        {
            _progress.WriteLine(HardExampleListing.Summary(payload));
            foreach (var line in HardExampleListing.Lines(payload, LoggedEntries, maxTextLength: 80)) _progress.WriteLine("  " + line);
        }

        return payload;
    }

    /// <summary>The current buffer as a payload (the last snapshot when it is of this step; the tracker is unchanged).</summary>
    public HardExamplePayload Current(long step) => LastSnapshot is { } last && last.Step == step ? last : Tracker.Peek(step);

    /// <summary>Writes the tracker's state into a checkpoint folder (this rank's file).</summary>
    public void Save(string folder) => Tracker.Save(Path.Combine(folder, StateFileOf(_group?.Rank ?? 0)));

    /// <summary>The tracker-state file of a rank inside a checkpoint folder.</summary>
    public static string StateFileOf(int rank) => rank == 0 ? StateFileName : $"hard_examples.rank{rank}.json";

    /// <summary>Every rank's tracker state as JSON, in rank order (a collective: every rank calls it at the same step).</summary>
    public byte[][] GatherStates()
    {
        var mine = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Tracker.SaveState(), HardExampleJson.Options);
        return _group is null ? [mine] : _group.AllGatherBytes(mine);
    }

    /// <summary>Writes gathered tracker states (from <see cref="GatherStates"/>) into a checkpoint folder, one file per rank.</summary>
    public static void WriteStates(string folder, IReadOnlyList<byte[]> states)
    {
        for (var rank = 0; rank < states.Count; rank++) File.WriteAllBytes(Path.Combine(folder, StateFileOf(rank)), states[rank]);
    }

    /// <summary>Restores the tracker from a checkpoint folder. A checkpoint without tracker state (written with tracking off)
    /// starts a fresh tracker. The run's options win over the checkpoint's: a smaller capacity keeps the hardest entries, and
    /// a changed quantile or exact-quantile limit restarts the interval statistics (the buffer is kept).</summary>
    /// <returns>A note for the log when the state was absent or adapted; null when it was restored as saved.</returns>
    /// <exception cref="InvalidDataException">The state file is corrupt.</exception>
    public string? Restore(string folder, long step)
    {
        var path = Path.Combine(folder, StateFileOf(_group?.Rank ?? 0));
        LastSnapshot = null;
        if (!File.Exists(path))
        {
            Tracker = new HardExampleTracker(_options);
            return $"note: {folder} holds no hard-example state (tracking was off); hard-example tracking starts afresh at step {step + 1}.";
        }

        var saved = HardExampleTracker.Load(path).SaveState();
        if (saved.Options == _options)
        {
            Tracker = HardExampleTracker.Restore(saved);
            return null;
        }

        var sameStatistics = saved.Options.HighLossQuantile == _options.HighLossQuantile && saved.Options.ExactQuantileLimit == _options.ExactQuantileLimit;
        var adapted = saved with
        {
            Options = _options,
            Entries = saved.Entries.Take(_options.Capacity).ToArray(),
        };
        if (!sameStatistics)
        {
            adapted = adapted with
            {
                IntervalCount = 0,
                IntervalNonFiniteCount = 0,
                IntervalMax = double.NaN,
                IntervalSortedLosses = [],
                EstimatorHeights = null,
                EstimatorPositions = null,
                EstimatorDesiredPositions = null,
            };
        }

        Tracker = HardExampleTracker.Restore(adapted);
        return $"note: the checkpoint's hard-example settings ({Describe(saved.Options)}) differ from this run's ({Describe(_options)}); this run's apply"
            + (sameStatistics ? "." : ", and the interval statistics restart.");
    }

    public void Dispose() => _snapshots?.Dispose();

    private static HardExamplePayload MergeAcrossRanks(ProcessGroup group, HardExamplePayload mine, int capacity)
    {
        var gathered = group.AllGatherBytes(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(mine, HardExampleJson.Options));
        if (!group.IsMain) return mine;
        var payloads = gathered.Select((bytes, rank) => System.Text.Json.JsonSerializer.Deserialize<HardExamplePayload>(bytes, HardExampleJson.Options)
            ?? throw new InvalidDataException($"rank {rank} sent an empty hard-example payload.")).ToList();
        return HardExampleMerger.Merge(payloads, capacity);
    }

    private static string Describe(HardExampleTrackerOptions o) => System.FormattableString.Invariant(
        $"capacity {o.Capacity}, quantile {o.HighLossQuantile}, log interval {o.LogInterval}, exact limit {o.ExactQuantileLimit}");
}
