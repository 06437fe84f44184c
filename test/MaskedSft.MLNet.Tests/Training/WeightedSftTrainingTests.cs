// Weighted SFT end to end: a dataset with per-token advantages, one trainer step, compared with the loss on full logits.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Validation;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class WeightedSftTrainingTests
{
    [ClassInitialize]
    public static void ClassInitialize(TestContext context) => SingleThreadTorch.Enter();

    [ClassCleanup]
    public static void ClassCleanup() => SingleThreadTorch.Exit();

    [TestMethod]
    [DataRow(AdvantagePattern.EndWeighted, AdvantageNormalization.Batch)]
    [DataRow(AdvantagePattern.Alternating, AdvantageNormalization.Sequence)]
    [DataRow(AdvantagePattern.Increasing, AdvantageNormalization.None)]
    public void TrainStep_DatasetAdvantages_LossEqualsWeightedSftOnFullLogits(AdvantagePattern pattern, AdvantageNormalization normalization)
    {
        var root = Path.Combine(Path.GetTempPath(), "msft-wsft-" + Guid.NewGuid().ToString("N"));
        try
        {
            var corpus = SyntheticChatCorpus.Create(3);
            WriteWithAdvantages(root, corpus, pattern, allZero: false);
            using var dataset = EpisodeDataset.Open(root);
            var config = new GptConfig { Layers = 1, Heads = 2, EmbeddingSize = 16, BlockSize = 32, VocabSize = corpus.PaddedVocabSize };
            var lossOptions = new WeightedSftLossOptions { AdvantageNormalization = normalization, Temperature = 0.9 };
            using var model = new TinyGpt(config, seed: 2);

            // The first batch the trainer will see, and the loss on full logits before the step.
            var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 4, BlockSize = 32, Seed = 1337 });
            double expected;
            using (var scope = new DisposeScope())
            using (var noGrad = new NoGradScope())
            {
                var t = BatchTensors.From(loader.NextBatch(), Device.Cpu);
                Assert.IsNotNull(t.Advantages);
                using var r = new WeightedSftLoss(lossOptions).ComputeAligned(model.Forward(t.Inputs), t.Targets, t.LossMask!, t.Advantages);
                expected = r.Loss.Item<double>();
            }

            var before = TrainingFixture.Weights(model);
            using var trainer = new Trainer(model, dataset, new TrainerOptions { MaxSteps = 1, BatchSize = 4, BlockSize = 32, Loss = lossOptions, EvalInterval = 0, Seed = 1337 });
            var result = trainer.Run();
            Assert.AreEqual(expected, result.FinalLoss, 1e-5);
            Assert.IsTrue(TrainingFixture.Weights(model).Any(kv => !kv.Value.SequenceEqual(before[kv.Key])), "the step changed the weights");
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [TestMethod]
    public void TrainStep_ZeroAdvantagesNoDecay_WeightsUnchanged()
    {
        var root = Path.Combine(Path.GetTempPath(), "msft-wsft-" + Guid.NewGuid().ToString("N"));
        try
        {
            var corpus = SyntheticChatCorpus.Create(3);
            WriteWithAdvantages(root, corpus, AdvantagePattern.UniformPositive, allZero: true);
            using var dataset = EpisodeDataset.Open(root);
            var config = new GptConfig { Layers = 1, Heads = 2, EmbeddingSize = 16, BlockSize = 32, VocabSize = corpus.PaddedVocabSize };
            using var model = new TinyGpt(config, seed: 2);
            var before = TrainingFixture.Weights(model);
            using var trainer = new Trainer(model, dataset, new TrainerOptions { MaxSteps = 2, BatchSize = 4, BlockSize = 32, WeightDecay = 0, EvalInterval = 0 });
            var result = trainer.Run();
            Assert.AreEqual(0.0, result.FinalLoss);
            foreach (var (name, w) in TrainingFixture.Weights(model)) CollectionAssert.AreEqual(before[name], w, name);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    private static void WriteWithAdvantages(string path, SyntheticChatCorpus corpus, AdvantagePattern pattern, bool allZero)
    {
        using var writer = new EpisodeDatasetWriter(path, new EpisodeDatasetWriterOptions { VocabSize = corpus.PaddedVocabSize, WithAdvantages = true });
        var i = 0;
        foreach (var e in corpus.Generate(32, 1))
        {
            var mask = e.Mask.Select(m => (float)m).ToArray();
            var adv = new float[mask.Length];
            if (!allZero) AdvantagePatterns.Fill(pattern, mask, adv, seed: i++);
            writer.AppendEpisode(e.Tokens, e.Mask, adv);
        }

        writer.Complete();
    }
}
