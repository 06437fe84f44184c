// One set of defaults: TrainerOptions' documented values, inherited unchanged by the estimator, shown by the CLI's help.
using System.Globalization;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
public sealed class TrainerOptionsTests
{
    [TestMethod]
    public void Defaults_AreTheDocumentedSet()
    {
        var o = new TrainerOptions();
        Assert.AreEqual((200, 16, 1, 20), (o.MaxSteps, o.BatchSize, o.GradientAccumulationSteps, o.WarmupSteps));
        Assert.AreEqual((1e-3, 1e-4), (o.LearningRate, o.FinalLearningRate));
        Assert.IsNull(o.MinLearningRate, "null = a tenth of the peak");
        Assert.AreEqual((0.9, 0.95, 1e-8, 0.1, 1.0), (o.Beta1, o.Beta2, o.AdamEpsilon, o.WeightDecay, o.GradientClip));
        Assert.AreEqual((1337UL, 10, 100, 20, 100, 3), (o.Seed, o.LogInterval, o.EvalInterval, o.EvalBatches, o.CheckpointInterval, o.KeepCheckpoints));
        Assert.AreEqual((50, 50, 0.9), (o.HardExamples!.Capacity, o.HardExamples.LogInterval, o.HardExamples.HighLossQuantile));
        Assert.AreEqual(3e-4, (o with { LearningRate = 3e-3 }).FinalLearningRate, 1e-15);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => (o with { MinLearningRate = 2e-3 }).Validate());
    }

    [TestMethod]
    public void EstimatorOptions_InheritEveryTrainingDefault()
    {
        var trainer = new TrainerOptions();
        TrainerOptions estimator = new LossMaskedSftTrainer.Options();
        foreach (var property in typeof(TrainerOptions).GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            Assert.AreEqual(property.GetValue(trainer), property.GetValue(estimator), property.Name);
        }
    }

    [TestMethod]
    [DataRow("train", "--steps", nameof(TrainerOptions.MaxSteps))]
    [DataRow("train", "--batch-size", nameof(TrainerOptions.BatchSize))]
    [DataRow("train", "--warmup", nameof(TrainerOptions.WarmupSteps))]
    [DataRow("train", "--lr", nameof(TrainerOptions.LearningRate))]
    [DataRow("train", "--log-interval", nameof(TrainerOptions.LogInterval))]
    [DataRow("train", "--eval-interval", nameof(TrainerOptions.EvalInterval))]
    [DataRow("train", "--checkpoint-interval", nameof(TrainerOptions.CheckpointInterval))]
    [DataRow("train", "--seed", nameof(TrainerOptions.Seed))]
    [DataRow("mock-train", "--num-train-steps", nameof(TrainerOptions.MaxSteps))]
    [DataRow("mock-train", "--batch-size", nameof(TrainerOptions.BatchSize))]
    [DataRow("mock-train", "--seed", nameof(TrainerOptions.Seed))]
    public void CommandHelp_ShowsTheTrainerOptionsDefault(string command, string option, string property)
    {
        var expected = Convert.ToString(typeof(TrainerOptions).GetProperty(property)!.GetValue(new TrainerOptions()), CultureInfo.InvariantCulture);

        var (_, output, _) = CliRunner.Run(command, "--help");

        var line = output.Split('\n').Single(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        StringAssert.Contains(line, $"[default: {expected}]");
    }
}
