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
}
