// TrainerOptions.Progress: one report per optimizer step with the global step and the planned total, resume included.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class TrainerProgressTests : TrainingTestClass<TrainerProgressTests>
{
    private sealed class Recorder : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];

        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    [TestMethod]
    public void Progress_IsReportedAfterEveryStep()
    {
        var recorder = new Recorder();
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
        {
            MaxSteps = 5, BatchSize = 4, WarmupSteps = 1, LogInterval = 10, EvalInterval = 0, EvalBatches = 1, HardExamples = null, Progress = recorder,
        });
        trainer.Run(untilStep: 3);
        trainer.Run();
        CollectionAssert.AreEqual(Enumerable.Range(1, 5).Select(s => new TrainingProgress(s, 5)).ToArray(), recorder.Reports.ToArray());
    }
}
