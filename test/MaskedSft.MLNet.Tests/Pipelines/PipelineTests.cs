// The trainer estimator end to end on an episode view: model fitted to the data, progress log, checkpoints, resume, overloads.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Tests.Validation;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;
using Microsoft.ML;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
[DoNotParallelize]
public sealed class PipelineTests
{
    private static TrainingFixture s_fixture = null!;

    [ClassInitialize]
    public static void ClassInitialize(TestContext context)
    {
        SingleThreadTorch.Enter();
        s_fixture = new TrainingFixture(train: 96, validation: 16);
    }

    [ClassCleanup]
    public static void ClassCleanup()
    {
        s_fixture.Dispose();
        SingleThreadTorch.Exit();
    }

    [TestMethod]
    public void Fit_EpisodeView_FitsTheModelToTheDataLogsAndCheckpoints()
    {
        var ml = new MLContext(seed: 3);
        var data = ml.MaskedSft().LoadEpisodes(Path.Combine(s_fixture.Root, "data"));
        var run = s_fixture.NewDirectory("pipeline");
        var log = new LineLog();
        var trainer = ml.MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options
        {
            Preset = "tiny", MaxSteps = 30, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, EvalInterval = 15, LogInterval = 10, OutputDirectory = run,
            Seed = 3, Device = Device.Cpu, Log = log,
        });
        using (var dataset = EpisodeDataset.Open(data.DirectoryPath))
        {
            var config = trainer.ModelConfig(dataset);
            Assert.AreEqual(s_fixture.Corpus.PaddedVocabSize, config.VocabSize, "vocabulary fitted to the data");
            Assert.AreEqual(32, config.BlockSize, "block fitted to the longest episode (25 tokens -> 24 targets -> 32)");
            Assert.AreEqual((2, 64), (config.Layers, config.EmbeddingSize));
        }

        using var model = trainer.Fit(data);
        Assert.AreEqual(30, model.TrainingResult!.Step);
        Assert.IsNotNull(model.TrainingResult.FinalValidationLoss);
        Assert.IsTrue(log.Lines.Any(l => l.StartsWith("step 30/30", StringComparison.Ordinal)), "progress reaches the options' log");
        Assert.IsTrue(File.Exists(Path.Combine(run, "metrics.jsonl")));
        Assert.AreEqual(30, CheckpointStore.ListIn(Path.Combine(run, "checkpoints"))[^1].Step);

        model.SaveModel(Path.Combine(run, "model"));
        using var reloaded = TinyGpt.Load(Path.Combine(run, "model", "model.safetensors"));
        var weights = TrainingFixture.Weights(model.Model);
        foreach (var (name, w) in TrainingFixture.Weights(reloaded)) CollectionAssert.AreEqual(weights[name], w, name);
    }

    [TestMethod]
    public void Fit_ResumeFrom_ContinuesTheRunToTheSameWeights()
    {
        var ml = new MLContext(seed: 4);
        var data = ml.MaskedSft().LoadEpisodes(Path.Combine(s_fixture.Root, "data"));
        LossMaskedSftTrainer.Options Options(string run, int steps, TextWriter? log = null, string? resume = null) => new()
        {
            Preset = "tiny", MaxSteps = 12, BatchSize = 4, EvalInterval = 0, LogInterval = 1, CheckpointInterval = steps, OutputDirectory = run, ResumeFrom = resume,
            Seed = 4, Device = Device.Cpu, Log = log,
        };

        var straight = s_fixture.NewDirectory("straight");
        using var a = ml.MaskedSft().Trainers.LossMaskedSft(Options(straight, 12)).Fit(data);

        var split = s_fixture.NewDirectory("split");
        using var cts = new CancellationTokenSource();
        var log = new LineLog(line => { if (line.StartsWith("step  6/", StringComparison.Ordinal)) cts.Cancel(); });
        using (var half = ml.MaskedSft().Trainers.LossMaskedSft(Options(split, 6, log)).Fit(data, null, cts.Token))
        {
            Assert.AreEqual(6, half.TrainingResult!.Step);
            Assert.IsTrue(half.TrainingResult.Cancelled);
        }

        using var b = ml.MaskedSft().Trainers.LossMaskedSft(Options(split, 12, resume: split)).Fit(data);
        Assert.AreEqual(12, b.TrainingResult!.Step);
        var wa = TrainingFixture.Weights(a.Model);
        foreach (var (name, w) in TrainingFixture.Weights(b.Model)) CollectionAssert.AreEqual(wa[name], w, name);
    }

    [TestMethod]
    public void LossMaskedSft_SimpleOverload_SetsOptionsAndRejectsUnknownPreset()
    {
        var ml = new MLContext(seed: 1);
        var trainer = ml.MaskedSft().Trainers.LossMaskedSft("small", steps: 7, learningRate: 5e-4, batchSize: 3);
        var o = trainer.TrainerOptions;
        Assert.AreEqual(("small", 7, 7, 5e-4, 3), (o.Preset, o.Steps, o.MaxSteps, o.LearningRate, o.BatchSize));
        var defaults = new TrainerOptions();
        Assert.AreEqual((defaults.WarmupSteps, defaults.WeightDecay), (o.WarmupSteps, o.WeightDecay), "the rest are the engine's defaults");
        Assert.ThrowsExactly<ArgumentException>(() => ml.MaskedSft().Trainers.LossMaskedSft("huge"));
    }

    /// <summary>A log writer that keeps whole lines and can react to each.</summary>
    private sealed class LineLog(Action<string>? onLine = null) : StringWriter(System.Globalization.CultureInfo.InvariantCulture)
    {
        public List<string> Lines { get; } = [];

        public override void WriteLine(string? value)
        {
            Lines.Add(value ?? string.Empty);
            onLine?.Invoke(value ?? string.Empty);
        }
    }
}
