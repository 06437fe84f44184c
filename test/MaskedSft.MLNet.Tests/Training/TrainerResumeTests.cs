// Resume equivalence: 2N steps straight equal N steps, checkpoint, fresh model/trainer objects, N more — bit for bit.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerResumeTests : TrainingTestClass<TrainerResumeTests>
{
    // 64 train episodes, B = 4, k = 2: 8 optimizer steps per epoch. N = 6 stops mid-epoch; N = 8 at the epoch boundary.
    [TestMethod]
    [DataRow(6, DisplayName = "mid-epoch")]
    [DataRow(8, DisplayName = "epoch boundary")]
    public void LoadCheckpoint_FreshObjects_ContinuesBitForBit(int n)
    {
        var options = new TrainerOptions
        {
            MaxSteps = 2 * n, BatchSize = 4, GradientAccumulationSteps = 2, WarmupSteps = 3, LearningRate = 3e-3,
            LogInterval = 1, EvalInterval = 4, EvalBatches = 2, CheckpointInterval = 0, Seed = 5,
        };
        var config = Fixture.Config(dropout: 0.1);

        var straightDir = Fixture.NewDirectory("straight");
        using var straightModel = new TinyGpt(config, seed: 1);
        using (var straight = new Trainer(straightModel, Fixture.Dataset, options with { OutputDirectory = straightDir }))
        {
            straight.Run();
        }

        var resumedDir = Fixture.NewDirectory("resumed");
        string checkpoint;
        using (var firstModel = new TinyGpt(config, seed: 1))
        using (var first = new Trainer(firstModel, Fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            var half = first.Run(untilStep: n);
            Assert.AreEqual(n, half.Step);
            checkpoint = first.SaveCheckpoint();
        }

        // Poison the default RNG and build everything anew: nothing may carry over but the checkpoint.
        MaskedSft.Torch.TorchOps.ManualSeed(424242);
        using var resumedModel = new TinyGpt(config, seed: 999);
        using (var resumed = new Trainer(resumedModel, Fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            var meta = resumed.LoadCheckpoint(checkpoint);
            Assert.AreEqual(n, meta.Step);
            Assert.AreEqual(n, resumed.Step);
            var result = resumed.Run();
            Assert.AreEqual(2 * n, result.Step);
        }

        var expected = MetricsWriter.ReadAll(Path.Combine(straightDir, "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl"));
        CollectionAssert.AreEqual(expected.Select(m => m.Step).ToArray(), actual.Select(m => m.Step).ToArray());
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Loss, actual[i].Loss, $"loss of step {expected[i].Step}");
            Assert.AreEqual(expected[i].GradNorm, actual[i].GradNorm, $"grad norm of step {expected[i].Step}");
            Assert.AreEqual(expected[i].LearningRate, actual[i].LearningRate, $"lr of step {expected[i].Step}");
            Assert.AreEqual(expected[i].SupervisedTokens, actual[i].SupervisedTokens, $"supervised tokens of step {expected[i].Step}");
            Assert.AreEqual(expected[i].ValidationLoss, actual[i].ValidationLoss, $"validation loss of step {expected[i].Step}");
        }

        var a = TrainingFixture.Weights(straightModel);
        var b = TrainingFixture.Weights(resumedModel);
        foreach (var (name, values) in a) CollectionAssert.AreEqual(values, b[name], $"weights of {name}");
    }
}
