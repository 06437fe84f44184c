// One model size: two C# trainers (tracking off / on) and the two Python twins, run in interleaved chunks of steps.
using System.Diagnostics;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;

namespace MaskedSft.Bench.TrainerHardExamples;

/// <summary>What one model size measured.</summary>
/// <param name="Size">The model.</param>
/// <param name="Parameters">Its parameter count.</param>
/// <param name="CsOff">C# ms per step, tracking off.</param>
/// <param name="CsOn">C# ms per step, tracking on.</param>
/// <param name="PyOff">PyTorch ms per step, no tracker.</param>
/// <param name="PyOn">PyTorch ms per step, with the Python tracker.</param>
/// <param name="CsInStepUs">C# tracking work per step, timed inside the tracked trainer's steps (shadow tracker, µs).</param>
/// <param name="CsReplayUs">C# tracking work per step replayed outside the step and continued to a long run (µs).</param>
/// <param name="PyInStepUs">Python tracking work per step timed inside the training step (µs).</param>
/// <param name="PyReplayUs">Python tracking work per step replayed outside the step and continued to a long run (µs).</param>
/// <param name="ReplayMatches">Whether the C# shadow and replay had the trainer's own buffer at the run's end.</param>
/// <param name="PyReplayMatches">Whether the Python replay ended with the Python trainer's buffer.</param>
/// <param name="CsTracker">The C# trainer's tracker totals: buffer size, samples seen, admitted.</param>
/// <param name="PyTracker">The Python tracker's totals: buffer size, samples seen, admitted.</param>
/// <param name="ReplayBuffers">The final buffer sizes of the C# and Python replays.</param>
internal sealed record SizeResult(
    (int Layers, int Width, int Heads) Size,
    long Parameters,
    List<double> CsOff,
    List<double> CsOn,
    List<double> PyOff,
    List<double> PyOn,
    List<double> CsInStepUs,
    List<double> CsReplayUs,
    List<double> PyInStepUs,
    List<double> PyReplayUs,
    bool ReplayMatches,
    bool PyReplayMatches,
    (int Buffer, long Seen, long Admitted) CsTracker,
    (int Buffer, long Seen, long Admitted) PyTracker,
    (int Cs, int Py) ReplayBuffers);

/// <summary>Runs one model size.</summary>
internal static class SizeBench
{
    /// <summary>
    /// Builds the C# trainers (same model seed and data order, tracking off and on) and the Python process, runs the warmup
    /// of all four, then <see cref="BenchOptions.Rounds"/> rounds of [C# off, C# on, PyTorch off, PyTorch on] chunks of
    /// <see cref="BenchOptions.Steps"/> steps (off/on order swapped every other round), and finally the two tracker replays.
    /// The C# tracked trainer's steps also run a shadow tracker that times the tracking work in place (taken out of the
    /// step time).
    /// </summary>
    public static SizeResult Run(BenchOptions o, (int Layers, int Width, int Heads) size, EpisodeDataset dataset, string rawDirectory, string root)
    {
        var tag = $"{size.Layers}x{size.Width}";
        var config = new GptConfig { Layers = size.Layers, EmbeddingSize = size.Width, Heads = size.Heads, BlockSize = o.Sequence, VocabSize = o.Vocab };
        var tracking = new HardExampleTrackerOptions { Capacity = o.Capacity, HighLossQuantile = o.Quantile, LogInterval = o.LogInterval };
        var common = new TrainerOptions
        {
            MaxSteps = 100_000, // the schedule's length; each chunk runs Run(Step + n), so no final evaluation or checkpoint
            BatchSize = o.Batch,
            BlockSize = o.Sequence,
            WarmupSteps = 10,
            LogInterval = o.LogInterval,
            EvalInterval = 0,
            CheckpointInterval = 0,
            IntraOpThreads = o.Threads,
        };
        var offOptions = common with { HardExamples = null, OutputDirectory = Path.Combine(root, tag, "cs-off") };
        var onOptions = common with
        {
            HardExamples = tracking,
            HardExampleDecoder = TokenIdDecoder.Instance,
            HardExamplesStartStep = 1,
            OutputDirectory = Path.Combine(root, tag, "cs-on"),
        };

        using var offModel = new TinyGpt(config, seed: 0);
        using var onModel = new TinyGpt(config, seed: 0);
        using var off = new Trainer(offModel, dataset, offOptions);
        using var on = new Trainer(onModel, dataset, onOptions);
        var loaderOptions = new EpisodeLoaderOptions
        {
            BatchSize = o.Batch,
            BlockSize = o.Sequence,
            Seed = onOptions.Seed,
            LongEpisodes = onOptions.LongEpisodes,
            UseLossMask = onOptions.UseLossMask,
            IncludeAdvantages = onOptions.UseAdvantages,
            IgnoreIndex = (int)onOptions.Loss.IgnoreIndex,
        };

        // Inside the tracked trainer's steps: keep its per-row losses for the replay, and time a shadow tracker doing the
        // same work right after the trainer's own (its time is taken out of the step's time).
        var rowLosses = new List<float[]>();
        List<double> csInStep = [];
        var measuring = false;
        var shadowMs = 0.0;
        using var shadow = new ShadowTracker(tracking, TokenIdDecoder.Instance, loaderOptions, Path.Combine(root, tag, "shadow", "hard_examples.jsonl"));
        on.MicroBatchLossesComputed += (step, batch, losses) =>
        {
            var start = Stopwatch.GetTimestamp();
            rowLosses.Add(losses); // the trainer's own host copy (a fresh array per micro-batch)
            var us = shadow.Process(step, batch, losses);
            if (measuring) csInStep.Add(us);
            shadowMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        };
        double TakeShadowMs()
        {
            var ms = shadowMs;
            shadowMs = 0;
            return ms;
        }

        using var python = PythonReference.Start(o, size, rawDirectory, Path.Combine(root, tag, "py"));
        if (o.Warmup > 0)
        {
            Chunk(off, o.Warmup, null);
            Chunk(on, o.Warmup, TakeShadowMs);
            python.Run(tracking: false, o.Warmup);
            python.Run(tracking: true, o.Warmup);
        }

        measuring = true;
        List<double> csOff = [], csOn = [], pyOff = [], pyOn = [], pyInStep = [];
        for (var round = 0; round < o.Rounds; round++)
        {
            var order = round % 2 == 1 ? new[] { true, false } : [false, true];
            foreach (var trackingOn in order)
            {
                if (trackingOn) csOn.AddRange(Chunk(on, o.Steps, TakeShadowMs));
                else csOff.AddRange(Chunk(off, o.Steps, null));
            }

            foreach (var trackingOn in order)
            {
                var (steps, trackerUs) = python.Run(trackingOn, o.Steps);
                (trackingOn ? pyOn : pyOff).AddRange(steps);
                pyInStep.AddRange(trackerUs);
            }
        }

        var (pyReplay, pyBuffer, pySeen, pyAdmitted, pyMatches, pyReplayBuffer) = python.Finish();
        using var replay = new ShadowTracker(tracking, TokenIdDecoder.Instance, loaderOptions, Path.Combine(root, tag, "replay", "hard_examples.jsonl"));
        var trainerTracker = on.HardExamples ?? throw new InvalidOperationException("the tracked trainer has no tracker");
        var (csReplay, replayMatched) = replay.Replay(dataset, loaderOptions, rowLosses, o.ReplaySteps, trainerTracker);
        return new SizeResult(size, config.ParameterCount, csOff, csOn, pyOff, pyOn, csInStep, csReplay, pyInStep, pyReplay,
            shadow.SameBufferAs(trainerTracker) && replayMatched, pyMatches,
            (trainerTracker.Count, trainerTracker.TotalSamplesSeen, trainerTracker.TotalAdmitted), (pyBuffer, pySeen, pyAdmitted),
            (replay.Tracker.Count, pyReplayBuffer));
    }

    /// <summary>Runs <paramref name="steps"/> more optimizer steps; each step's time runs from the previous step's
    /// <see cref="Trainer.StepCompleted"/> (the first from the call) to its own, so it holds the whole loop body: batch,
    /// forward, backward, clip, AdamW, metrics and, with tracking, Observe, the metrics section and snapshots.</summary>
    /// <param name="trainer">The trainer.</param>
    /// <param name="steps">Steps to run.</param>
    /// <param name="takeExtraMs">Returns (and resets) the time spent in the bench's own handlers during the step, which is
    /// subtracted; null when there are none.</param>
    private static List<double> Chunk(Trainer trainer, int steps, Func<double>? takeExtraMs)
    {
        var times = new List<double>(steps);
        var watch = Stopwatch.StartNew();
        var last = 0.0;
        void OnStep(StepMetrics _)
        {
            var now = watch.Elapsed.TotalMilliseconds;
            times.Add(now - last - (takeExtraMs?.Invoke() ?? 0));
            last = now;
        }

        trainer.StepCompleted += OnStep;
        try
        {
            trainer.Run(trainer.Step + steps);
        }
        finally
        {
            trainer.StepCompleted -= OnStep;
        }

        return times;
    }
}
