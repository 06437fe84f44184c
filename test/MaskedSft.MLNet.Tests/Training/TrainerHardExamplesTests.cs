// Hard-example tracking inside the trainer: losses from the training loss, payload, snapshots, metrics, report, resume, off switch.
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerHardExamplesTests : TrainingTestClass<TrainerHardExamplesTests>
{
    private static TrainerOptions Options(int steps, int capacity = 6, int interval = 3) => new()
    {
        MaxSteps = steps, BatchSize = 4, GradientAccumulationSteps = 2, WarmupSteps = 2, LearningRate = 3e-3,
        LogInterval = 1, EvalInterval = 0, EvalBatches = 2, CheckpointInterval = 0, Seed = 5,
        HardExamples = new HardExampleTrackerOptions { Capacity = capacity, LogInterval = interval, HighLossQuantile = 0.5 },
        HardExampleDecoder = Fixture.Corpus,
    };

    [TestMethod]
    public void PerRowLosses_AreTheTrainingLossPerSequence()
    {
        // Token-mean loss of a step = sum over its rows of (row's masked mean CE x row's supervised targets) / all targets.
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using var trainer = new Trainer(model, Fixture.Dataset, Options(4));
        double weighted = 0;
        long targets = 0;
        var checkedSteps = 0;
        trainer.MicroBatchLossesComputed += (step, batch, rowLoss) =>
        {
            Assert.AreEqual(batch.Rows, rowLoss.Length);
            for (var r = 0; r < batch.Rows; r++)
            {
                var n = SupervisedTargets(batch, r);
                if (n == 0) Assert.AreEqual(0f, rowLoss[r], $"row {r} has no supervised target");
                weighted += (double)rowLoss[r] * n;
                targets += n;
            }
        };
        trainer.StepCompleted += m =>
        {
            Assert.AreEqual(m.SupervisedTokens, targets, $"step {m.Step}");
            Assert.AreEqual(m.Loss, weighted / targets, 1e-5 * m.Loss, $"step {m.Step}: the per-row losses do not add up to the step's loss");
            weighted = 0;
            targets = 0;
            checkedSteps++;
        };
        trainer.Run();
        Assert.AreEqual(4, checkedSteps);
    }

    [TestMethod]
    public void Run_TracksDecodedSupervisedTextKeyedByEpisodeWindow_FromTheStartStep()
    {
        var run = Fixture.NewDirectory("hard-run");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        TrainingResult result;
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(8) with { OutputDirectory = run }))
        {
            result = trainer.Run();
            Assert.IsNotNull(trainer.HardExamples);
            Assert.AreEqual(6, trainer.HardExamples.Count);
        }

        var hard = result.HardExamples;
        Assert.IsNotNull(hard);
        Assert.AreEqual(8, hard.Step);
        Assert.AreEqual(6, hard.Entries.Count);
        // Warmup is 2 steps: steps 3..8 offer 2 micro-batches x 4 rows each, and every synthetic row has supervised targets.
        Assert.AreEqual(6 * 2 * 4, hard.TotalSamplesSeen);
        for (var i = 0; i < hard.Entries.Count; i++)
        {
            var e = hard.Entries[i];
            Assert.IsTrue(e.MaxLossStep >= 3 && e.Step <= 8, $"entry {i} from step {e.MaxLossStep}");
            if (i > 0) Assert.IsTrue(hard.Entries[i - 1].Loss >= e.Loss, "sorted by loss, descending");
            var episode = Fixture.Dataset.GetEpisode((int)e.GlobalIndex);
            Assert.AreEqual(EpisodeHardExampleBatch.KeyOf(episode.Key, 0), e.Key);
            Assert.AreEqual(ExpectedText((int)e.GlobalIndex, Fixture.Config().BlockSize), e.Text, $"entry {i}");
        }

        Assert.AreEqual(hard.Entries.Count, hard.Entries.Select(e => e.Key).Distinct().Count(), "one entry per key");
    }

    [TestMethod]
    public void Run_WritesSnapshotsMetricsSectionAndReport()
    {
        var run = Fixture.NewDirectory("hard-files");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(8) with { OutputDirectory = run }))
        {
            trainer.Run();
        }

        // Snapshots on the tracker's log steps from the start step on (3, 6) and at the last step (8).
        var snapshots = File.ReadAllLines(Path.Combine(run, "hard_examples.jsonl")).Select(HardExampleJson.DeserializePayload).ToArray();
        CollectionAssert.AreEqual(new long[] { 3, 6, 8 }, snapshots.Select(s => s.Step).ToArray());
        Assert.AreEqual(8, snapshots[0].IntervalSampleCount, "step 3's interval: one step of 8 rows");
        Assert.AreEqual(24, snapshots[1].IntervalSampleCount, "steps 4-6");
        Assert.AreEqual(16, snapshots[2].IntervalSampleCount, "steps 7-8");
        Assert.IsTrue(snapshots.All(s => s.Entries.Count <= 6));

        var metrics = MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl"));
        Assert.AreEqual(8, metrics.Count);
        Assert.IsTrue(metrics.All(m => m.HardExamples is not null));
        Assert.AreEqual(0, metrics[1].HardExamples!.SamplesSeen, "nothing is tracked during warmup");
        Assert.AreEqual(8, metrics[2].HardExamples!.SamplesSeen);
        Assert.AreEqual(48, metrics[7].HardExamples!.SamplesSeen);
        Assert.AreEqual(snapshots[2].Entries[0].Loss, metrics[7].HardExamples!.TopLoss);
        Assert.AreEqual(6, metrics[7].HardExamples!.BufferSize);

        var report = File.ReadAllText(Path.Combine(run, TrainingReport.FileName));
        StringAssert.Contains(report, "## Loss curve");
        StringAssert.Contains(report, "## Hard examples");
        StringAssert.Contains(report, "hard examples at step 8: 6 entries");
        StringAssert.Contains(report, "| 1 | " + snapshots[2].Entries[0].Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) + " |");
        StringAssert.Contains(report, HardExampleListing.OneLine(snapshots[2].Entries[0].Text, 160).Replace("|", "\\|", StringComparison.Ordinal));

        var checkpoint = CheckpointStore.ListIn(Path.Combine(run, "checkpoints")).Single().Path;
        Assert.AreEqual("hard_examples.json", CheckpointMetadata.Read(checkpoint).HardExamplesFile);
        var saved = HardExampleTracker.Load(Path.Combine(checkpoint, "hard_examples.json"));
        Assert.AreEqual(6, saved.Count);
    }

    [TestMethod]
    public void Run_TrackingOff_WritesNoHardExampleState()
    {
        var run = Fixture.NewDirectory("hard-off");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        TrainingResult result;
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(4) with { OutputDirectory = run, HardExamples = null }))
        {
            result = trainer.Run();
            Assert.IsNull(trainer.HardExamples);
        }

        Assert.IsNull(result.HardExamples);
        Assert.IsFalse(File.Exists(Path.Combine(run, "hard_examples.jsonl")));
        Assert.IsTrue(MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl")).All(m => m.HardExamples is null));
        Assert.IsFalse(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Any(l => l.Contains("hard_examples", StringComparison.Ordinal)));
        var checkpoint = CheckpointStore.ListIn(Path.Combine(run, "checkpoints")).Single().Path;
        Assert.IsNull(CheckpointMetadata.Read(checkpoint).HardExamplesFile);
        Assert.IsFalse(File.Exists(Path.Combine(checkpoint, "hard_examples.json")));
        StringAssert.Contains(File.ReadAllText(result.ReportPath!), "Hard-example tracking was off.");
    }

    // Stop at step 4 (mid-interval: the tracker's interval statistics are in the checkpoint) and at 6 (a snapshot step).
    [TestMethod]
    [DataRow(4)]
    [DataRow(6)]
    public void Resume_ContinuesTheTrackerExactly(int n)
    {
        var options = Options(9);
        var straightDir = Fixture.NewDirectory("hard-straight");
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var straight = new Trainer(model, Fixture.Dataset, options with { OutputDirectory = straightDir }))
        {
            straight.Run();
        }

        var resumedDir = Fixture.NewDirectory("hard-resumed");
        string checkpoint;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var first = new Trainer(model, Fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            first.Run(untilStep: n);
            checkpoint = first.SaveCheckpoint();
            first.Run(untilStep: 8); // an abandoned continuation: its snapshot lines must be dropped on resume
        }

        using (var model = new TinyGpt(Fixture.Config(), seed: 77))
        using (var resumed = new Trainer(model, Fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            resumed.LoadCheckpoint(checkpoint);
            resumed.Run();
        }

        var expected = File.ReadAllLines(Path.Combine(straightDir, "hard_examples.jsonl"));
        var actual = File.ReadAllLines(Path.Combine(resumedDir, "hard_examples.jsonl"));
        CollectionAssert.AreEqual(expected, actual, "snapshots of the resumed run differ from the uninterrupted run's");
        var expectedState = File.ReadAllText(Path.Combine(CheckpointStore.ListIn(Path.Combine(straightDir, "checkpoints"))[^1].Path, "hard_examples.json"));
        var actualState = File.ReadAllText(Path.Combine(CheckpointStore.ListIn(Path.Combine(resumedDir, "checkpoints"))[^1].Path, "hard_examples.json"));
        Assert.AreEqual(expectedState, actualState);
        var expectedMetrics = MetricsWriter.ReadAll(Path.Combine(straightDir, "metrics.jsonl")).Select(m => m.HardExamples).ToArray();
        var actualMetrics = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl")).Select(m => m.HardExamples).ToArray();
        CollectionAssert.AreEqual(expectedMetrics, actualMetrics);
    }

    [TestMethod]
    public void Resume_FromCheckpointWithoutTrackerState_StartsAfreshWithANote()
    {
        var run = Fixture.NewDirectory("hard-late");
        string checkpoint;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var first = new Trainer(model, Fixture.Dataset, Options(6) with { OutputDirectory = run, HardExamples = null }))
        {
            first.Run(untilStep: 4);
            checkpoint = first.SaveCheckpoint();
        }

        var log = new StringWriter();
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var resumed = new Trainer(model, Fixture.Dataset, Options(6) with { OutputDirectory = run }, log))
        {
            resumed.LoadCheckpoint(checkpoint);
            var result = resumed.Run();
            Assert.AreEqual(2 * 8, result.HardExamples!.TotalSamplesSeen, "steps 5 and 6 only");
        }

        StringAssert.Contains(log.ToString(), "holds no hard-example state");
    }

    [TestMethod]
    public void Resume_WithSmallerCapacity_KeepsTheHardestEntries()
    {
        var run = Fixture.NewDirectory("hard-shrink");
        string checkpoint;
        HardExampleEntry[] before;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var first = new Trainer(model, Fixture.Dataset, Options(6, capacity: 6) with { OutputDirectory = run }))
        {
            first.Run(untilStep: 5);
            checkpoint = first.SaveCheckpoint();
            before = first.HardExamples!.Entries.ToArray();
        }

        var log = new StringWriter();
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var resumed = new Trainer(model, Fixture.Dataset, Options(6, capacity: 2) with { OutputDirectory = run }, log))
        {
            resumed.LoadCheckpoint(checkpoint);
            Assert.AreEqual(2, resumed.HardExamples!.Count);
            CollectionAssert.AreEqual(before.Take(2).ToArray(), resumed.HardExamples.Entries.ToArray());
        }

        StringAssert.Contains(log.ToString(), "capacity 6");
        StringAssert.Contains(log.ToString(), "this run's apply");
    }

    [TestMethod]
    public void Options_BadHardExampleSettings_Throw()
    {
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Trainer(model, Fixture.Dataset, Options(2) with { HardExamplesStartStep = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Trainer(model, Fixture.Dataset, Options(2) with { HardExamples = new HardExampleTrackerOptions { Capacity = 0 } }));
    }

    private static int SupervisedTargets(EpisodeBatch batch, int row)
    {
        var targets = batch.TargetRow(row);
        var mask = batch.LossMaskRow(row);
        var n = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (targets[i] != -100 && mask[i] != 0) n++;
        }

        return n;
    }

    /// <summary>The corpus words of an episode's trained targets inside the first window (targets are tokens 1..T).</summary>
    private static string ExpectedText(int episode, int block)
    {
        var tokens = Fixture.Dataset.GetEpisodeTokens(episode);
        var mask = Fixture.Dataset.GetEpisodeMask(episode);
        var ids = Enumerable.Range(1, Math.Min(block, tokens.Length - 1)).Where(i => mask[i] != 0).Select(i => tokens[i]).ToArray();
        return Fixture.Corpus.Decode(ids);
    }
}
