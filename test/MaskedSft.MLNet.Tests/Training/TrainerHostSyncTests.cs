// Issue 13: a training step reads the device back at most once (all metric scalars in one tensor), counted in the bindings.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerHostSyncTests : TrainingTestClass<TrainerHostSyncTests>
{
    [TestMethod]
    [DataRow(1, AdamWImplementation.Fused, TrainingPrecision.Auto)]
    [DataRow(3, AdamWImplementation.PerTensor, TrainingPrecision.Auto)]
    [DataRow(2, AdamWImplementation.Fused, TrainingPrecision.BFloat16Masters)]   // float32 masters: accumulation, clipping, norms, rounding add no read
    [DataRow(1, AdamWImplementation.PerTensor, TrainingPrecision.BFloat16Masters)]
    public void Run_EveryStep_ReadsTheHostAtMostOnce(int accumulation, AdamWImplementation adamw, TrainingPrecision precision)
    {
        using var model = new TinyGpt(Fixture.Config(), seed: 8);
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
        {
            MaxSteps = 9, BatchSize = 2, GradientAccumulationSteps = accumulation, EvalInterval = 0, LogInterval = 4,
            HardExamples = null, OptimizerImplementation = adamw, Precision = precision,
        });
        var reads = new List<long>();
        var metrics = new List<StepMetrics>();
        var last = TensorCounters.HostReads;
        trainer.StepCompleted += m =>
        {
            var now = TensorCounters.HostReads;
            reads.Add(now - last);
            metrics.Add(m);
            last = now;
        };
        trainer.Run();

        // The last step also evaluates the validation split (its own reads); every other step reads exactly once.
        CollectionAssert.AreEqual(Enumerable.Repeat(1L, 8).ToList(), reads.Take(8).ToList(), $"host reads per step: {string.Join(", ", reads)}");
        foreach (var m in metrics)
        {
            Assert.IsTrue(double.IsFinite(m.Loss) && m.Loss > 0, $"step {m.Step} loss {m.Loss}");
            Assert.IsTrue(m.GradNorm > 0 && m.ParamNorm > 0 && m.MaxPerSampleLoss > 0, $"step {m.Step}: {m}");
            Assert.IsTrue(m.TokenAccuracy is >= 0 and <= 1, $"step {m.Step} accuracy {m.TokenAccuracy}");
        }
    }

    /// <summary>Without a StepCompleted handler only the steps that log read their metrics: the progress reports of the
    /// other steps see no host read since the previous one.</summary>
    [TestMethod]
    public void Run_WithoutAStepHandler_ReadsOnlyOnLogSteps()
    {
        using var model = new TinyGpt(Fixture.Config(), seed: 8);
        var reads = new List<long>();
        var last = TensorCounters.HostReads;
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
        {
            MaxSteps = 9, BatchSize = 2, EvalInterval = 0, LogInterval = 4, HardExamples = null,
            Progress = new CallbackProgress(_ =>
            {
                var now = TensorCounters.HostReads;
                reads.Add(now - last);
                last = now;
            }),
        });
        var result = trainer.Run();

        // Steps 4 and 8 log (one read each); step 9, the last, also evaluates the validation split (its own reads).
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 1, 0, 0, 0, 1 }, reads.Take(8).ToList(), $"host reads per step: {string.Join(", ", reads)}");
        Assert.IsTrue(reads[8] >= 1, "the last step reads its metrics");
        CollectionAssert.AreEqual(new long[] { 4, 8, 9 }, result.Metrics.Select(m => m.Step).ToList(), "the logged steps' metrics");
        Assert.IsTrue(double.IsFinite(result.FinalLoss) && result.FinalLoss > 0, $"final loss {result.FinalLoss}");
    }

    /// <summary>An IProgress that calls back synchronously (Progress&lt;T&gt; posts to a synchronization context).</summary>
    private sealed class CallbackProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
