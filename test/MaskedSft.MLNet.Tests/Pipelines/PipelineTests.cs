// The estimator API end to end: context, catalog, Fit with validation, Transform scores, Save/Load, resume through Options.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Tests.Validation;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

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
    public void Fit_Transform_SaveLoad_ScoresEpisodesAndRoundTrips()
    {
        var context = new MaskedSftContext(seed: 3, Device.Cpu);
        var log = new List<string>();
        context.Log += (_, e) => log.Add(e.Message);
        using var data = context.Data.LoadEpisodes(Path.Combine(s_fixture.Root, "data"));
        var run = s_fixture.NewDirectory("pipeline");
        var trainer = context.Trainers.MaskedSft(new MaskedSftTrainer.Options
        {
            Preset = "tiny", MaxSteps = 30, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, EvalInterval = 15, LogInterval = 10, OutputDirectory = run,
        });
        var config = trainer.ModelConfig(data.Dataset);
        Assert.AreEqual(s_fixture.Corpus.PaddedVocabSize, config.VocabSize, "vocabulary fitted to the data");
        Assert.AreEqual(32, config.BlockSize, "block fitted to the longest episode (25 tokens -> 24 targets -> 32)");
        Assert.AreEqual((2, 64), (config.Layers, config.EmbeddingSize));

        using var model = trainer.Fit(data);
        Assert.AreEqual(30, model.Training!.Step);
        Assert.IsNotNull(model.Training.FinalValidationLoss);
        Assert.IsTrue(log.Any(l => l.StartsWith("step 30/30", StringComparison.Ordinal)), "progress reaches the context log");
        Assert.IsTrue(File.Exists(Path.Combine(run, "metrics.jsonl")));
        Assert.AreEqual(30, CheckpointStore.ListIn(Path.Combine(run, "checkpoints"))[^1].Step);

        var scores = model.Transform(data);
        Assert.AreEqual(112, scores.Count);
        Assert.AreEqual(96, scores.Count(s => s.Split == DatasetSplit.Train));
        var first = scores[0];
        var episode = data.Dataset.GetEpisode(first.EpisodeIndex);
        Assert.AreEqual(episode.Length - 1, first.TargetLogProbs.Length);
        Assert.IsTrue(first.TargetLogProbs.All(v => v <= 0 && float.IsFinite(v)));
        var mask = data.Dataset.GetEpisodeMask(first.EpisodeIndex);
        Assert.AreEqual(mask.Skip(1).Count(m => m == 1), first.SupervisedTokens);
        var expectedLoss = -Enumerable.Range(0, first.TargetLogProbs.Length).Where(j => mask[j + 1] == 1).Average(j => (double)first.TargetLogProbs[j]);
        Assert.AreEqual(expectedLoss, first.MaskedLoss, 1e-5);
        var validationMean = scores.Where(s => s.Split == DatasetSplit.Validation).Average(s => s.MaskedLoss);
        Assert.AreEqual(model.Training.FinalValidationLoss!.Value, validationMean, 0.05, "per-episode mean close to the token-mean validation loss");

        var saved = Path.Combine(run, "model");
        model.Save(saved);
        using var loaded = MaskedSftModel.Load(saved);
        var again = loaded.Transform(data, DatasetSplit.Validation);
        CollectionAssert.AreEqual(scores.Where(s => s.Split == DatasetSplit.Validation).Select(s => s.MaskedLoss).ToArray(), again.Select(s => s.MaskedLoss).ToArray());
        StringAssert.Contains(File.ReadAllText(Path.Combine(saved, "model.json")), "\"format\": \"MaskedSft.Model\"");
    }

    [TestMethod]
    public void Fit_ResumeFrom_ContinuesTheRunToTheSameWeights()
    {
        var context = new MaskedSftContext(seed: 4, Device.Cpu);
        using var data = context.Data.LoadEpisodes(Path.Combine(s_fixture.Root, "data"));
        MaskedSftTrainer.Options Options(string run, int steps, string? resume = null) => new()
        {
            Preset = "tiny", MaxSteps = 12, BatchSize = 4, EvalInterval = 0, LogInterval = 1, CheckpointInterval = steps, OutputDirectory = run, ResumeFrom = resume,
        };

        var straight = s_fixture.NewDirectory("straight");
        using var a = context.Trainers.MaskedSft(Options(straight, 12)).Fit(data);

        var split = s_fixture.NewDirectory("split");
        using var cts = new CancellationTokenSource();
        var first = context.Trainers.MaskedSft(Options(split, 6));
        using (var half = first.Fit(data, cancellationToken: CancelAt(context, cts, 6)))
        {
            Assert.AreEqual(6, half.Training!.Step);
            Assert.IsTrue(half.Training.Cancelled);
        }

        using var b = context.Trainers.MaskedSft(Options(split, 12, resume: split)).Fit(data);
        Assert.AreEqual(12, b.Training!.Step);
        var wa = TrainingFixture.Weights(a.Model);
        foreach (var (name, w) in TrainingFixture.Weights(b.Model)) CollectionAssert.AreEqual(wa[name], w, name);
    }

    [TestMethod]
    public void MaskedSft_SimpleOverload_SetsOptionsAndRejectsUnknownPreset()
    {
        var context = new MaskedSftContext(seed: 1, Device.Cpu);
        var trainer = context.Trainers.MaskedSft("small", steps: 7, learningRate: 5e-4, batchSize: 3, aggregation: LossAggregation.SequenceMeanTokenSum);
        Assert.AreEqual(("small", 7, 5e-4, 3), (trainer.TrainerOptions.Preset, trainer.TrainerOptions.MaxSteps, trainer.TrainerOptions.LearningRate, trainer.TrainerOptions.BatchSize));
        Assert.AreEqual(LossAggregation.SequenceMeanTokenSum, trainer.TrainerOptions.Loss.Aggregation);
        Assert.ThrowsExactly<ArgumentException>(() => context.Trainers.MaskedSft("huge"));
    }

    /// <summary>A token cancelled by the context log when the progress line of a step appears.</summary>
    private static CancellationToken CancelAt(MaskedSftContext context, CancellationTokenSource cts, int step)
    {
        context.Log += (_, e) =>
        {
            if (e.Message.StartsWith($"step {step,2}/", StringComparison.Ordinal)) cts.Cancel();
        };
        return cts.Token;
    }
}
