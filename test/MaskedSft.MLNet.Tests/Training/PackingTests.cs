// Packed and unpacked batches of the same episodes through SftObjective: the same per-token losses and the same gradients,
// for the tiny GPT and a pretrained Hugging Face fixture (block-diagonal attention from document ids, positions per document).
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class PackingTests
{
    private const int T = 16;

    [TestMethod]
    public void TinyGpt_PackedAndUnpacked_SamePerTokenLossesAndGradients()
    {
        var config = new GptConfig { Layers = 2, Heads = 2, EmbeddingSize = 16, BlockSize = T, VocabSize = 37 };
        Compare(() => new TinyGpt(config, seed: 4), 37, 1e-5);
    }

    [TestMethod]
    public void PretrainedQwen2Fixture_PackedAndUnpacked_SamePerTokenLossesAndGradients()
    {
        using var probe = PretrainedModelLoader.Load(HfModelFixtures.Folder("qwen2"));
        // float32 sums in another order (the packed rows' attention and the embedding gradient's scatter over other
        // positions): the gradients agree to a few float32 ulps of their sums, 2e-5 relative at worst.
        Compare(() => PretrainedModelLoader.Load(HfModelFixtures.Folder("qwen2")), probe.VocabSize, 5e-5);
    }

    [TestMethod]
    public void Trainer_Packing_TrainsAndResumesExactly_WithHardExamplesOff()
    {
        using var fixture = new TrainingFixture(train: 48, validation: 4);
        var options = new TrainerOptions
        {
            MaxSteps = 6, BatchSize = 2, BlockSize = 32, WarmupSteps = 1, LogInterval = 1, EvalInterval = 0, CheckpointInterval = 0,
            Seed = 3, Packing = true, OutputDirectory = fixture.NewDirectory("straight"),
        };
        var log = new StringWriter();
        using (var model = new TinyGpt(fixture.Config(), seed: 8))
        using (var straight = new Trainer(model, fixture.Dataset, options, log))
        {
            Assert.IsNull(straight.HardExamples, "hard examples are off while packing");
            straight.Run();
        }

        StringAssert.Contains(log.ToString(), "hard examples: off while packing");
        var resumedDir = fixture.NewDirectory("resumed");
        string checkpoint;
        using (var model = new TinyGpt(fixture.Config(), seed: 8))
        using (var first = new Trainer(model, fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            first.Run(untilStep: 3);
            checkpoint = first.SaveCheckpoint();
        }

        using (var model = new TinyGpt(fixture.Config(), seed: 99))
        using (var resumed = new Trainer(model, fixture.Dataset, options with { OutputDirectory = resumedDir }))
        {
            resumed.LoadCheckpoint(checkpoint);
            resumed.Run();
        }

        var expected = MetricsWriter.ReadAll(Path.Combine(options.OutputDirectory!, "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl"));
        Assert.AreEqual(6, expected.Count);
        for (var i = 0; i < expected.Count; i++) Assert.AreEqual(expected[i].Loss, actual[i].Loss, $"loss of step {expected[i].Step}");
    }

    private static void Compare(Func<ICausalLm> create, int vocab, double gradientTolerance)
    {
        using var dir = new TempDirectory();
        var episodes = EpisodeFixtures.Random(14, 2, 9, seed: 6, advantages: true, vocab: vocab);
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(dir.Combine("d"), episodes, vocab: vocab, padId: 0, advantages: true));
        var options = new EpisodeLoaderOptions { BlockSize = T, Shuffle = false, DropLast = false };
        var probe = EpisodeDataLoader.CreateTrain(dataset, options with { BatchSize = 1, Packing = true });
        var unpacked = EpisodeDataLoader.CreateTrain(dataset, options with { BatchSize = probe.SampleCount }).NextBatch();
        var packed = EpisodeDataLoader.CreateTrain(dataset, options with { BatchSize = probe.RowsPerEpoch, Packing = true }).NextBatch();
        Assert.IsTrue(packed.Rows < unpacked.Rows / 2, $"{packed.Rows} packed rows for {unpacked.Rows} samples");

        using var scope = new DisposeScope();
        var lossOptions = new WeightedSftLossOptions { AdvantageNormalization = AdvantageNormalization.None };
        using var a = create();
        using var b = create();
        var (unpackedNll, unpackedGrads) = LossesAndGradients(a, unpacked, lossOptions);
        var (packedNll, packedGrads) = LossesAndGradients(b, packed, lossOptions);

        // Per-token losses: document d of packed row r is the next unpacked row, at the same positions within it.
        var sample = 0;
        for (var r = 0; r < packed.Rows; r++)
        {
            var offset = 0;
            for (var d = 0; d < packed.RowDocumentCounts[r]; d++, sample++)
            {
                var m = unpacked.RowTargetCounts[sample];
                var expected = unpackedNll.AsSpan(sample * T, m).ToArray().Select(v => (double)v).ToArray();
                LossAssert.Close(expected, packedNll.AsSpan((r * T) + offset, m).ToArray(), 1e-5, $"token losses of sample {sample} (row {r}, document {d})");
                offset += m;
            }
        }

        Assert.AreEqual(unpacked.Rows, sample);
        foreach (var (name, grad) in unpackedGrads)
        {
            LossAssert.Close(grad.Select(v => (double)v).ToArray(), packedGrads[name], gradientTolerance, $"d/d{name}");
        }
    }

    /// <summary>The batch's per-token NLL (Rows·T) and the parameter gradients of the objective's loss.</summary>
    private static (float[] TokenNll, Dictionary<string, float[]> Gradients) LossesAndGradients(ICausalLm model, EpisodeBatch batch, WeightedSftLossOptions options)
    {
        var objective = new SftObjective(model, options);
        objective.PrepareStep([batch]);
        using var output = objective.Compute(batch);
        output.Loss.Backward();
        var grads = model.NamedParameters().Where(p => p.Parameter.Grad is not null)
            .ToDictionary(p => p.Name, p => p.Parameter.Grad!.To(ScalarType.Float32).Reshape(-1).ToArray<float>());
        Assert.IsTrue(grads.Count > 0);

        using var noGrad = new NoGradScope();
        var t = BatchTensors.From(batch, model.Device);
        var input = new CausalLmInput(t.Inputs) { DocumentIds = t.DocumentIds, PositionIds = t.PositionIds };
        using var losses = new WeightedSftLoss(options).ComputeFromHidden(model.ForwardHidden(input), model.HeadWeight, t.Targets, t.LossMask, t.Advantages);
        return (losses.TokenNll.To(ScalarType.Float32).Reshape(-1).ToArray<float>(), grads);
    }
}
