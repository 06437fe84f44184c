// Trainer behaviour: accumulation equivalence, checkpoint contents, metrics and intervals, cancellation, pruning, learning.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerTests : TrainingTestClass<TrainerTests>
{
    [TestMethod]
    public void Run_GradientAccumulation_EqualsFullBatchSteps()
    {
        var config = Fixture.Config();
        var results = new List<(Dictionary<string, float[]> Weights, double[] Losses)>();
        foreach (var (batch, k) in new[] { (8, 1), (4, 2), (2, 4) })
        {
            using var model = new TinyGpt(config, seed: 3);
            using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
            {
                MaxSteps = 3, BatchSize = batch, GradientAccumulationSteps = k, WarmupSteps = 0, LogInterval = 1, EvalInterval = 0,
                Loss = new WeightedSftLossOptions { Aggregation = LossAggregation.SequenceMeanTokenMean },
            });
            var r = trainer.Run();
            results.Add((TrainingFixture.Weights(model), r.Metrics.Select(m => m.Loss).ToArray()));
        }

        for (var i = 1; i < results.Count; i++)
        {
            for (var s = 0; s < 3; s++) Assert.AreEqual(results[0].Losses[s], results[i].Losses[s], 1e-5, $"loss of step {s + 1}, setting {i}");
            foreach (var (name, w) in results[0].Weights)
            {
                LossAssert.Close(w.Select(v => (double)v).ToArray(), results[i].Weights[name], 2e-5, $"{name}, setting {i}");
            }
        }
    }

    [TestMethod]
    public void ComputeFromHidden_MicroBatchesWithUnequalTokensAndPartialWindow_SumToFullBatchGradients()
    {
        using var scope = new DisposeScope();
        var config = Fixture.Config();
        var batch = EpisodeBatchOf(8);
        var (x, y, mask) = (batch.X, batch.Y, batch.Mask);
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            var loss = new WeightedSftLoss(new() { Aggregation = agg, NormLength = 32 });
            using var full = new TinyGpt(config, seed: 4);
            using var micro = new TinyGpt(config, seed: 4);
            ModelLoss.Output(full, x, y, mask, null, loss).Loss.Backward();
            var effective = EffectiveMask.Of(y, mask, -100).To(ScalarType.Float32).ToArray<float>();
            var global = LossNormalizer.FromMask(effective, 8, 32);
            var tokensPerWindow = new List<double>();
            foreach (var (start, count) in new[] { (0, 3), (3, 3), (6, 2) }) // the last window is partial
            {
                tokensPerWindow.Add(mask.Narrow(0, start, count).Sum().Item<double>());
                ModelLoss.Output(micro, x.Narrow(0, start, count), y.Narrow(0, start, count), mask.Narrow(0, start, count), null, loss, global).Loss.Backward();
            }

            Assert.IsTrue(tokensPerWindow.Distinct().Count() > 1, "micro-batches must differ in supervised tokens");
            foreach (var ((name, a), (_, b)) in full.NamedParameters().Zip(micro.NamedParameters()))
            {
                LossAssert.Close(a.Grad!.ToArray<float>().Select(v => (double)v).ToArray(), b.Grad!.ToArray<float>(), 1e-5, $"{agg.ToName()} {name}");
            }
        }
    }

    [TestMethod]
    public void SaveCheckpoint_AfterSteps_HoldsMomentsSchedulerRngLoaderAndWeights()
    {
        var dir = Fixture.NewDirectory("contents");
        using var model = new TinyGpt(Fixture.Config(), seed: 5);
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 10, BatchSize = 4, OutputDirectory = dir, EvalInterval = 0, LogInterval = 1 });
        trainer.Run(untilStep: 3);
        var folder = trainer.SaveCheckpoint();
        var meta = CheckpointMetadata.Read(folder);
        Assert.AreEqual(3, meta.Step);
        Assert.AreEqual(3, meta.Scheduler.Step, "scheduler step == global step");
        Assert.AreEqual(10, meta.MaxSteps);
        Assert.AreEqual(trainer.LoaderState, meta.Loader);
        Assert.AreEqual(3, meta.Loader.Position, "3 batches consumed");
        Assert.IsTrue(Convert.FromBase64String(meta.CpuRngState).Length > 0);
        Assert.AreEqual("tiny-gpt", meta.Architecture);
        Assert.AreEqual(model.Config, TinyGpt.ReadConfig(folder), "the weights carry the model's configuration");
        Assert.AreEqual(model.NamedParameters().Count(), meta.Optimizer.ParametersWithState);
        using (var opt = SafetensorsFile.Open(Path.Combine(folder, CheckpointMetadata.OptimizerFileName)))
        using (var scope = new DisposeScope())
        {
            foreach (var (name, _) in model.NamedParameters())
            {
                Assert.AreEqual(3L, BitConverter.ToInt64(opt.GetSpan($"{name}.step")), $"{name}.step");
                var m = Tensor.FromBytes(opt.GetSpan($"{name}.exp_avg"), ScalarType.Float32, opt.GetInfo($"{name}.exp_avg").Shape);
                Assert.IsTrue(m.Abs().Max().Item<float>() > 0, $"{name}.exp_avg is non-empty");
            }
        }

        using var reloaded = TinyGpt.Load(Path.Combine(folder, CheckpointMetadata.ModelFileName));
        var saved = TrainingFixture.Weights(reloaded);
        foreach (var (name, w) in TrainingFixture.Weights(model)) CollectionAssert.AreEqual(w, saved[name], name);
    }

    [TestMethod]
    public void Run_Intervals_WritesMetricsValidationAndKeepsLastCheckpoints()
    {
        var dir = Fixture.NewDirectory("intervals");
        using var model = new TinyGpt(Fixture.Config(), seed: 6);
        var log = new StringWriter();
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
        {
            MaxSteps = 7, BatchSize = 4, LogInterval = 2, EvalInterval = 3, EvalBatches = 1, CheckpointInterval = 2, KeepCheckpoints = 2, OutputDirectory = dir,
        }, log);
        var result = trainer.Run();
        var lines = MetricsWriter.ReadAll(Path.Combine(dir, "metrics.jsonl"));
        CollectionAssert.AreEqual(new long[] { 2, 3, 4, 6, 7 }, lines.Select(l => l.Step).ToArray(), "log steps 2,4,6, eval steps 3,6 and the last");
        CollectionAssert.AreEqual(new[] { false, true, false, true, true }, lines.Select(l => l.ValidationLoss.HasValue).ToArray());
        Assert.IsTrue(lines.All(l => l.SupervisedTokens > 0 && l.TokensPerSecond > 0 && l.GradNorm > 0 && l.ParamNorm > 0 && l.LearningRate > 0));
        Assert.IsTrue(lines.All(l => l.TokenAccuracy is >= 0 and <= 1 && l.MaxPerSampleLoss >= l.Loss * 0.5));
        CollectionAssert.AreEqual(new long[] { 6, 7 }, CheckpointStore.ListIn(Path.Combine(dir, "checkpoints")).Select(c => c.Step).ToArray());
        Assert.AreEqual(result.FinalValidationLoss, lines[^1].ValidationLoss);
        StringAssert.Contains(log.ToString(), "step 7/7 [####################] 100%");
        StringAssert.Contains(log.ToString(), "| val ");
    }

    [TestMethod]
    public void Run_CancelledAfterThirdStep_StopsWithResumableCheckpoint()
    {
        var dir = Fixture.NewDirectory("cancel");
        using var model = new TinyGpt(Fixture.Config(), seed: 7);
        using var cts = new CancellationTokenSource();
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 50, BatchSize = 4, OutputDirectory = dir, EvalInterval = 0, CheckpointInterval = 0 });
        trainer.StepCompleted += m =>
        {
            if (m.Step == 3) cts.Cancel();
        };
        var result = trainer.Run(cts.Token);
        Assert.IsTrue(result.Cancelled);
        Assert.AreEqual(3, result.Step);
        Assert.AreEqual(3, CheckpointMetadata.Read(result.LastCheckpoint!).Step);
        Assert.AreEqual(result.LastCheckpoint, Trainer.ResolveCheckpoint(dir));
    }

    [TestMethod]
    public void Run_SyntheticChat_LossFallsAndNoMaskTrainsMoreTokens()
    {
        using var model = new TinyGpt(Fixture.Config(), seed: 8);
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 80, BatchSize = 8, LearningRate = 3e-3, WarmupSteps = 5, LogInterval = 1, EvalInterval = 0 });
        var r = trainer.Run();
        Assert.IsTrue(r.Metrics[^1].Loss < 0.5 * r.Metrics[0].Loss, $"{r.Metrics[0].Loss} -> {r.Metrics[^1].Loss}");
        Assert.IsTrue(r.Metrics[^1].TokenAccuracy > r.Metrics[0].TokenAccuracy);

        using var unmaskedModel = new TinyGpt(Fixture.Config(), seed: 8);
        using var unmasked = new Trainer(unmaskedModel, Fixture.Dataset, new TrainerOptions { MaxSteps = 1, BatchSize = 8, UseLossMask = false, EvalInterval = 0 });
        var u = unmasked.Run();
        Assert.IsTrue(u.Metrics[0].SupervisedTokens > 2 * r.Metrics[0].SupervisedTokens, "without the mask every real target is trained");
    }

    [TestMethod]
    public void Constructor_Epochs_PlansStepsFromBatchesPerEpoch()
    {
        using var model = new TinyGpt(Fixture.Config(), seed: 10);
        // 64 training episodes, B = 4 -> 16 batches per epoch; k = 3 -> ceil(2 * 16 / 3) = 11 optimizer steps for 2 epochs.
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { Epochs = 2, BatchSize = 4, GradientAccumulationSteps = 3, EvalInterval = 0 });
        Assert.AreEqual(11, trainer.MaxSteps);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Trainer(model, Fixture.Dataset, new TrainerOptions { Epochs = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Trainer(model, Fixture.Dataset, new TrainerOptions { MinLearningRate = 1, LearningRate = 0.1 }));
    }

    [TestMethod]
    public void LoadCheckpoint_OtherModelConfig_ThrowsNamingBoth()
    {
        var dir = Fixture.NewDirectory("mismatch");
        using (var model = new TinyGpt(Fixture.Config(), seed: 9))
        using (var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 1, BatchSize = 4, OutputDirectory = dir, EvalInterval = 0 }))
        {
            trainer.Run();
        }

        using var other = new TinyGpt(Fixture.Config() with { EmbeddingSize = 16 });
        using var t2 = new Trainer(other, Fixture.Dataset, new TrainerOptions { MaxSteps = 1, BatchSize = 4 });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => t2.LoadCheckpoint(dir));
        StringAssert.Contains(e.Message, "[192, 32]", "the checkpoint's shape");
        StringAssert.Contains(e.Message, "hidden 16", "this trainer's model");
    }

    /// <summary>Rows of varying supervised-token counts (one row with none).</summary>
    private static (Tensor X, Tensor Y, Tensor Mask) EpisodeBatchOf(int rows)
    {
        var x = TorchOps.RandInt(0, Fixture.Corpus.PaddedVocabSize, [rows, 12], Generator.Create(1));
        var y = TorchOps.RandInt(0, Fixture.Corpus.PaddedVocabSize, [rows, 12], Generator.Create(2));
        var maskValues = new float[rows * 12];
        for (var r = 0; r < rows; r++) for (var j = 12 - ((r * 5) % 13); j < 12; j++) if (j >= 0) maskValues[r * 12 + j] = 1;
        return (x, y, Tensor.FromArray(maskValues, rows, 12));
    }
}
