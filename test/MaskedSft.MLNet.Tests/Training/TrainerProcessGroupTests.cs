// TrainerOptions.ProcessGroup with a local world of one trains exactly as without a group (no collective is called).
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerProcessGroupTests : TrainingTestClass<TrainerProcessGroupTests>
{
    [TestMethod]
    public void Run_LocalWorldOfOne_BitIdenticalToNoGroup()
    {
        var options = new TrainerOptions
        {
            MaxSteps = 4, BatchSize = 4, GradientAccumulationSteps = 2, WarmupSteps = 1, LearningRate = 3e-3, LogInterval = 1, EvalInterval = 0,
            EvalBatches = 2, Seed = 5, HardExamples = new() { Capacity = 4, LogInterval = 2 }, HardExamplesStartStep = 1,
        };
        var config = Fixture.Config();
        using var plainModel = new TinyGpt(config, seed: 1);
        using var plain = new Trainer(plainModel, Fixture.Dataset, options);
        var expected = plain.Run();

        using var group = ProcessGroup.Create(new ProcessGroupOptions());
        using var model = new TinyGpt(config, seed: 1);
        using var trainer = new Trainer(model, Fixture.Dataset, options with { ProcessGroup = group });
        var actual = trainer.Run();

        CollectionAssert.AreEqual(expected.Metrics.Select(m => m.Loss).ToArray(), actual.Metrics.Select(m => m.Loss).ToArray());
        CollectionAssert.AreEqual(expected.Metrics.Select(m => m.GradNorm).ToArray(), actual.Metrics.Select(m => m.GradNorm).ToArray());
        Assert.IsTrue(trainer.IsMain);
        Assert.AreEqual(TimeSpan.Zero, trainer.CollectiveTime, "a world of one calls no collective");
        CollectionAssert.AreEqual(expected.HardExamples!.Entries.Select(e => e.Key).ToArray(), actual.HardExamples!.Entries.Select(e => e.Key).ToArray());
    }
}
