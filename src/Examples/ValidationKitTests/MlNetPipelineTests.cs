// The validation kit on an ML.NET pipeline: train with mlContext.MaskedSft(), then check the trained model and its outputs.
using MaskedSft.MLNet.Pipelines;
using MaskedSft.Testing;
using MaskedSft.Torch;
using Microsoft.ML;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MaskedSft.Examples.ValidationKitTests;

[TestClass]
[DoNotParallelize]
public sealed class MlNetPipelineTests
{
    [TestMethod]
    public void LossMaskedSftPipeline_TrainedModel_PassesTheKitAndScoresOnlySupervisedTokens()
    {
        string root = Path.Combine(Path.GetTempPath(), "maskedsft-kit-" + Guid.NewGuid().ToString("N"));
        try
        {
            // An episode dataset (from `maskedsft prepare`, or here the built-in synthetic chats) as ML.NET data.
            string data = Path.Combine(root, "data");
            SyntheticChatCorpus.Create(seed: 2).WriteDataset(data, trainCount: 48, validationCount: 8);
            var mlContext = new MLContext(seed: 1);
            var episodes = mlContext.MaskedSft().LoadEpisodes(data);

            var trainer = mlContext.MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options { Steps = 10, BatchSize = 8, WarmupSteps = 2, Device = Device.Cpu });
            using var model = trainer.Fit(episodes);

            // The kit's loss-mask, accumulation and advantage checks on the model the pipeline trained.
            model.Model.Eval();
            var report = CheckSuite.Run(model.Model);
            Assert.IsTrue(report.AllPassed, report.ToTable());

            // The transformer scores exactly the supervised targets: the mask bits after the first token.
            var rows = mlContext.Data.CreateEnumerable<Row>(model.Transform(episodes), reuseRowObject: false).ToList();
            Assert.HasCount(56, rows);
            foreach (var row in rows)
            {
                Assert.AreEqual(row.LossMask.Skip(1).Count(bit => bit), row.SupervisedTokens);
                Assert.IsTrue(float.IsFinite(row.Loss) && row.Loss > 0);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>What the test reads from the scored episodes.</summary>
    public sealed class Row
    {
        public bool[] LossMask { get; set; } = [];

        public int SupervisedTokens { get; set; }

        public float Loss { get; set; }
    }
}
