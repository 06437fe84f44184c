// The trainer's hard-example tracking: feeds the tracker each micro-batch's per-row losses, logs snapshots, checkpoints it.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.IO;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Hard-example tracking inside <see cref="Trainer"/>. Every micro-batch's rows that have supervised targets are offered to
/// a <see cref="HardExampleTracker"/> with their masked mean cross-entropy (from the training forward pass); on the
/// tracker's log steps and at the last step a snapshot goes to <c>hard_examples.jsonl</c> (one payload per line) and to
/// the progress log; checkpoints hold the tracker's state (<c>hard_examples.json</c>) so a resumed run continues it exactly.
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
    private StepJsonLinesFile? _snapshots;

    public TrainerHardExamples(TrainerOptions options, long maxSteps, TextWriter? progress)
    {
        _options = options.HardExamples ?? throw new ArgumentException("hard-example tracking is off.", nameof(options));
        _decoder = options.HardExampleDecoder ?? TokenIdDecoder.Instance;
        _ignoreIndex = options.Loss.IgnoreIndex;
        _useLossMask = options.UseLossMask;
        _startStep = options.HardExamplesStartStep ?? Math.Min(options.WarmupSteps + 1L, (maxSteps / 2) + 1);
        _progress = progress;
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
    /// starts a new interval), appends it to the log file and prints its top entries.</summary>
    /// <returns>The snapshot, or null when none was due.</returns>
    public HardExamplePayload? AfterStep(long step, long maxSteps)
    {
        if (!Tracks(step) || !(Tracker.IsLogStep(step) || step == maxSteps)) return null;
        var payload = Tracker.Snapshot(step);
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

    /// <summary>Writes the tracker's state into a checkpoint folder.</summary>
    public void Save(string folder) => Tracker.Save(Path.Combine(folder, StateFileName));

    /// <summary>Restores the tracker from a checkpoint folder. A checkpoint without tracker state (written with tracking off)
    /// starts a fresh tracker. The run's options win over the checkpoint's: a smaller capacity keeps the hardest entries, and
    /// a changed quantile or exact-quantile limit restarts the interval statistics (the buffer is kept).</summary>
    /// <returns>A note for the log when the state was absent or adapted; null when it was restored as saved.</returns>
    /// <exception cref="InvalidDataException">The state file is corrupt.</exception>
    public string? Restore(string folder, long step)
    {
        var path = Path.Combine(folder, StateFileName);
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

    private static string Describe(HardExampleTrackerOptions o) => System.FormattableString.Invariant(
        $"capacity {o.Capacity}, quantile {o.HighLossQuantile}, log interval {o.LogInterval}, exact limit {o.ExactQuantileLimit}");
}
