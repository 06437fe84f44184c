// A second hard-example tracker doing, step by step, exactly the host-side work the trainer's tracking does; it times it.
using System.Diagnostics;
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.IO;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

namespace MaskedSft.Bench.TrainerHardExamples;

/// <summary>
/// The work that tracking adds to a trainer step (Trainer.TrainStep + TrainerHardExamples), done again through the same
/// public API: copy the (B) per-row losses and supervised counts to the host, pick the rows with targets, build the
/// <see cref="EpisodeHardExampleBatch"/> view and its keys, <see cref="HardExampleTracker.UpdateLosses"/> +
/// <see cref="HardExampleTracker.AddExamples"/> (text decoded only on entry), the step's <see cref="HardExampleMetrics"/>,
/// and on log steps a snapshot serialized to a JSON Lines file. Fed the trainer's batches and losses, it ends with the
/// trainer's buffer. Used inside the tracked trainer's steps (from <see cref="Trainer.MicroBatchLossesComputed"/>) and as
/// a replay after the run, continued into a long run's steady state.
/// </summary>
internal sealed class ShadowTracker : IDisposable
{
    private readonly ITokenDecoder _decoder;
    private readonly int _ignoreIndex;
    private readonly bool _useLossMask;
    private readonly StepJsonLinesFile _snapshots;
    private double _sink;

    /// <summary>Creates the shadow.</summary>
    /// <param name="options">The trainer's tracker options.</param>
    /// <param name="decoder">The trainer's decoder.</param>
    /// <param name="loaderOptions">The trainer's loader options (ignore index, loss mask use).</param>
    /// <param name="snapshotPath">The JSON Lines file for the snapshots.</param>
    public ShadowTracker(HardExampleTrackerOptions options, ITokenDecoder decoder, EpisodeLoaderOptions loaderOptions, string snapshotPath)
    {
        Tracker = new HardExampleTracker(options);
        _decoder = decoder;
        _ignoreIndex = loaderOptions.IgnoreIndex;
        _useLossMask = loaderOptions.UseLossMask;
        _snapshots = new StepJsonLinesFile(snapshotPath);
    }

    /// <summary>The shadow's tracker.</summary>
    public HardExampleTracker Tracker { get; }

    /// <summary>Does one step's tracking work (1 micro-batch per step) and returns its time in µs.</summary>
    /// <param name="step">The 1-based step.</param>
    /// <param name="batch">The step's batch.</param>
    /// <param name="rowLoss">The per-row losses the trainer computed; they are put in a (B) tensor first (not timed), as the
    /// trainer holds them before its host copy.</param>
    /// <returns>Microseconds of the tracking work.</returns>
    public double Process(long step, EpisodeBatch batch, float[] rowLoss)
    {
        using var scope = new DisposeScope();
        var perRow = Tensor.FromArray(rowLoss, rowLoss.Length);                                // (B)
        var rowTargets = Tensor.FromArray(SupervisedCounts(batch), batch.Rows);                // (B)

        var watch = Stopwatch.StartNew();
        var losses = perRow.ToArray<float>();
        var targets = rowTargets.To(ScalarType.Float32).ToArray<float>();
        var rows = new List<int>(batch.Rows);
        for (var r = 0; r < batch.Rows; r++)
        {
            if (targets[r] > 0) rows.Add(r);
        }

        if (rows.Count > 0)
        {
            var picked = new float[rows.Count];
            for (var k = 0; k < picked.Length; k++) picked[k] = losses[rows[k]];
            var view = new EpisodeHardExampleBatch(batch, rows.ToArray(), _decoder, _ignoreIndex, _useLossMask);
            Tracker.UpdateLosses(step, picked);
            Tracker.AddExamples(step, view, picked, view.Keys());
        }

        var metrics = new HardExampleMetrics(Tracker.Count, Tracker.CurrentThreshold,
            Tracker.Count > 0 ? Tracker.Entries[0].Loss : double.NaN, Tracker.TotalSamplesSeen, Tracker.TotalAdmitted);
        if (Tracker.IsLogStep(step))
        {
            var payload = Tracker.Snapshot(step);
            _snapshots.WriteLine(JsonSerializer.SerializeToUtf8Bytes(payload, HardExampleJson.Options));
        }

        var elapsed = watch.Elapsed.TotalMilliseconds * 1000.0;
        _sink += metrics.TopLoss;
        return elapsed;
    }

    /// <summary>
    /// Replays a run, then goes on to <paramref name="steps"/> steps: the loader (same options and seed as the trainer's)
    /// gives the same batches in the same order; step i uses the trainer's losses of step i, and past the run's end those
    /// of step (i mod run length) again, on the loader's next batches (the steady state of a long run: full buffer,
    /// snapshots of K entries every log interval).
    /// </summary>
    /// <param name="dataset">The training dataset.</param>
    /// <param name="loaderOptions">The trainer's loader options.</param>
    /// <param name="rowLosses">The trainer's per-row losses, one array per step.</param>
    /// <param name="steps">Steps to replay (at least the run's).</param>
    /// <param name="trainerTracker">The trainer's tracker, compared with the shadow's at the run's last step.</param>
    /// <returns>Microseconds per step, and whether the buffers were equal at the run's last step.</returns>
    public (List<double> Microseconds, bool MatchedTrainer) Replay(
        EpisodeDataset dataset, EpisodeLoaderOptions loaderOptions, IReadOnlyList<float[]> rowLosses, int steps, HardExampleTracker trainerTracker)
    {
        var loader = EpisodeDataLoader.CreateTrain(dataset, loaderOptions);
        var batch = loader.CreateBatch();
        steps = Math.Max(steps, rowLosses.Count);
        var times = new List<double>(steps);
        var matched = rowLosses.Count == 0;
        for (var i = 0; i < steps; i++)
        {
            loader.NextBatch(batch);
            times.Add(Process(i + 1, batch, rowLosses[i % rowLosses.Count]));
            if (i == rowLosses.Count - 1) matched = SameBufferAs(trainerTracker);
        }

        return (times, matched);
    }

    /// <summary>Whether this shadow holds the same buffer as <paramref name="other"/> (keys, losses, steps, seen counts, texts, in order).</summary>
    /// <param name="other">The trainer's tracker.</param>
    /// <returns>True when equal.</returns>
    public bool SameBufferAs(HardExampleTracker other) =>
        Tracker.Count == other.Count && Tracker.Entries.Zip(other.Entries).All(p =>
            p.First.Key == p.Second.Key && p.First.Loss == p.Second.Loss && p.First.Step == p.Second.Step &&
            p.First.SeenCount == p.Second.SeenCount && p.First.Text == p.Second.Text);

    /// <inheritdoc />
    public void Dispose()
    {
        _snapshots.Dispose();
        GC.KeepAlive(_sink);
    }

    private float[] SupervisedCounts(EpisodeBatch batch)
    {
        var counts = new float[batch.Rows];
        for (var r = 0; r < batch.Rows; r++)
        {
            var targets = batch.TargetRow(r);
            var mask = _useLossMask ? batch.LossMaskRow(r) : [];
            for (var t = 0; t < targets.Length; t++)
            {
                if (targets[t] != _ignoreIndex && (mask.IsEmpty || mask[t] != 0)) counts[r]++;
            }
        }

        return counts;
    }
}
