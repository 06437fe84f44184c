// The seed suite's seven episode data loader tests: detection, initialisation, shapes, mask, determinism, padding, no-mask mode.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
[DoNotParallelize] // creates native tensors (batch shapes, no-mask mode)
public sealed class EpisodeDataLoaderSeedTests
{
    private const int Prompt = 8;
    private const int Response = 8;
    private const int BlockSize = 16;

    [TestMethod]
    public void IsEpisodeDataset_WrittenDatasetAndOtherDirectories_DetectsOnlyTheDataset()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(10, Prompt, Response, seed: 1));
        var plain = Directory.CreateDirectory(temp.Combine("plain")).FullName;
        File.WriteAllText(Path.Combine(plain, EpisodeDatasetFormat.HeaderFileName), "{\"magic\":\"something else\"}");
        File.WriteAllBytes(Path.Combine(plain, EpisodeDatasetFormat.IndexFileName), new byte[64]);

        Assert.IsTrue(EpisodeDataset.IsEpisodeDataset(path));
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(plain));
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(temp.Combine("missing")));
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(Path.Combine(path, EpisodeDatasetFormat.TokensFileName)));
    }

    [TestMethod]
    public void Constructor_TrainAndValidationSplits_LoadTheRightEpisodeCounts()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(20, Prompt, Response, seed: 2, validationEvery: 5));
        using var dataset = EpisodeDataset.Open(path);
        var options = new EpisodeLoaderOptions { BatchSize = 4, BlockSize = BlockSize };

        var train = EpisodeDataLoader.CreateTrain(dataset, options);
        var validation = EpisodeDataLoader.CreateValidation(dataset, options);

        Assert.AreEqual(20, dataset.EpisodeCount);
        Assert.AreEqual(16, train.Statistics.EpisodeCount);
        Assert.AreEqual(16, train.SampleCount);
        Assert.AreEqual(4, train.BatchesPerEpoch);
        Assert.AreEqual(4, validation.Statistics.EpisodeCount);
        Assert.AreEqual(1, validation.BatchesPerEpoch);
        Assert.IsTrue(validation.EnumerateEpoch().SelectMany(b => b.EpisodeIndices.ToArray()).All(e => dataset.GetEpisode(e).Split == DatasetSplit.Validation));
    }

    [TestMethod]
    public void NextBatch_WithMaskAndAdvantages_EveryBufferHasShapeBT()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(12, 3, 40, seed: 3, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path);
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 4, BlockSize = BlockSize });

        var batch = loader.NextBatch();

        CollectionAssert.AreEqual(new long[] { 4, BlockSize }, batch.Shape);
        Assert.AreEqual(4 * BlockSize, batch.Inputs.Length);
        Assert.AreEqual(4 * BlockSize, batch.Targets.Length);
        Assert.AreEqual(4 * BlockSize, batch.LossMask.Length);
        Assert.AreEqual(4 * BlockSize, batch.Advantages.Length);
        Assert.AreEqual(4, batch.EpisodeKeys.Length);
        using var scope = new DisposeScope();
        var tensors = BatchTensors.From(batch, Device.Cpu);
        Assert.AreEqual(4, tensors.Count);
        foreach (var tensor in tensors.All)
        {
            CollectionAssert.AreEqual(new long[] { 4, BlockSize }, tensor.Shape);
        }
    }

    [TestMethod]
    public void NextBatch_PromptResponseEpisodes_MaskMatchesThePatternWrittenAndIsAlignedWithTargets()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(8, Prompt, Response, seed: 4));
        using var dataset = EpisodeDataset.Open(path);
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 4, BlockSize = BlockSize });

        var batch = loader.NextBatch();

        // 16 tokens = 15 targets; mask[i] refers to token i as a target, so maskY[t] = mask[t + 1]: 7 zeros, 8 ones, 1 pad.
        var expected = Enumerable.Repeat(0f, Prompt - 1).Concat(Enumerable.Repeat(1f, Response)).Append(0f).ToArray();
        for (var r = 0; r < batch.Rows; r++)
        {
            CollectionAssert.AreEqual(expected, batch.LossMaskRow(r).ToArray(), $"row {r}");
            var y = batch.TargetRow(r);
            for (var t = 0; t < BlockSize; t++)
            {
                if (batch.LossMaskRow(r)[t] == 1f)
                {
                    Assert.AreEqual(EpisodeFixtures.ResponseToken, y[t], $"row {r}, position {t}: a supervised target must be a response token");
                }
            }

            var stored = dataset.GetEpisodeMask(batch.EpisodeIndices[r]);
            Assert.AreEqual(Response, stored.Count(b => b == 1));
        }

        Assert.AreEqual(4L * Response, batch.SupervisedTargetCount);
        Assert.AreEqual(4L * (Prompt + Response - 1), batch.TargetCount);
    }

    [TestMethod]
    public void NextBatch_SameSeed_IdenticalBatchesAndANewEpochHasADifferentOrder()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.Random(40, 2, 30, seed: 5));
        using var dataset = EpisodeDataset.Open(path);
        var options = new EpisodeLoaderOptions { BatchSize = 4, BlockSize = BlockSize, Seed = 99 };
        var a = EpisodeDataLoader.CreateTrain(dataset, options);
        var b = EpisodeDataLoader.CreateTrain(dataset, options);
        var other = EpisodeDataLoader.CreateTrain(dataset, options with { Seed = 100 });

        var epochA = Enumerable.Range(0, 10).Select(_ => EpisodeFixtures.Snapshot(a.NextBatch())).ToList();
        var epochB = Enumerable.Range(0, 10).Select(_ => EpisodeFixtures.Snapshot(b.NextBatch())).ToList();
        var epochOther = Enumerable.Range(0, 10).Select(_ => EpisodeFixtures.Snapshot(other.NextBatch())).ToList();
        var nextEpochA = Enumerable.Range(0, 10).Select(_ => EpisodeFixtures.Snapshot(a.NextBatch())).ToList();

        Assert.IsTrue(epochA.Zip(epochB).All(p => p.First.SameAs(p.Second)), "same seed must give identical batches");
        var order0 = epochA.SelectMany(s => s.Episodes).ToArray();
        var order1 = nextEpochA.SelectMany(s => s.Episodes).ToArray();
        CollectionAssert.AreNotEqual(order0, order1, "epoch 1 must use a new permutation");
        CollectionAssert.AreEquivalent(order0, order1, "each epoch visits every sample once");
        CollectionAssert.AreNotEqual(order0, epochOther.SelectMany(s => s.Episodes).ToArray(), "another seed gives another order");
        Assert.AreEqual(1, nextEpochA[0].Epoch);
    }

    [TestMethod]
    public void NextBatch_ShortEpisode_PaddedWithPadIdIgnoreIndexAndZeroMask()
    {
        using var temp = new TempDirectory();
        int[] tokens = [10, 11, 12, 13, 14];
        byte[] mask = [0, 0, 1, 1, 1];
        var path = EpisodeFixtures.Write(temp.Combine("short"), [new SyntheticEpisode(tokens, mask, null, default)]);
        using var dataset = EpisodeDataset.Open(path);
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 1, BlockSize = 8 });

        var batch = loader.NextBatch();

        var pad = EpisodeFixtures.PadId;
        CollectionAssert.AreEqual(new long[] { 10, 11, 12, 13, pad, pad, pad, pad }, batch.InputRow(0).ToArray());
        CollectionAssert.AreEqual(new long[] { 11, 12, 13, 14, -100, -100, -100, -100 }, batch.TargetRow(0).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, 1, 1, 1, 0, 0, 0, 0 }, batch.LossMaskRow(0).ToArray());
        Assert.AreEqual(4, batch.RowTargetCounts[0]);
        Assert.AreEqual(0.5, loader.Statistics.PaddingFraction, 1e-12);
    }

    [TestMethod]
    public void NextBatch_NoLossMaskMode_ReturnsInputsAndTargetsOnly()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(8, 3, 20, seed: 7, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path);
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 2, BlockSize = BlockSize, UseLossMask = false, IncludeAdvantages = false });

        var batch = loader.NextBatch();

        Assert.IsFalse(batch.HasLossMask);
        Assert.IsFalse(batch.HasAdvantages);
        Assert.AreEqual(0, batch.LossMask.Length);
        Assert.AreEqual(0, batch.Advantages.Length);
        Assert.AreEqual(2 * BlockSize, batch.Inputs.Length);
        Assert.AreEqual(2 * BlockSize, batch.Targets.Length);
        Assert.AreEqual(batch.TargetCount, batch.SupervisedTargetCount, "without a mask every real target is trained");
        using var scope = new DisposeScope();
        var tensors = BatchTensors.From(batch, Device.Cpu);
        Assert.AreEqual(2, tensors.Count);
        Assert.IsNull(tensors.LossMask);
        var (x, y) = tensors;
        CollectionAssert.AreEqual(batch.Inputs.ToArray(), x.ToArray<long>());
        CollectionAssert.AreEqual(batch.Targets.ToArray(), y.ToArray<long>());
    }
}
