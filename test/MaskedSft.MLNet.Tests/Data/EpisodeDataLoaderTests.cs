// Loader behaviour beyond the seed suite: exact resume, long-episode policies and their statistics, alignment, partial batches.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDataLoaderTests
{
    private static readonly EpisodeLoaderOptions Options = new() { BatchSize = 5, BlockSize = 12, Seed = 2024, LongEpisodes = LongEpisodePolicy.SplitIntoWindows };

    [TestMethod]
    [DataRow(3, DisplayName = "mid-epoch: save after 3 of 7 batches")]
    [DataRow(7, DisplayName = "epoch boundary: save after the epoch's last batch")]
    [DataRow(5, DisplayName = "mid-epoch, the resumed half crosses into the next epoch")]
    public void NextBatch_ResumedFromSavedState_YieldsExactlyTheUninterruptedBatches(int saveAfter)
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(20, 2, 30, seed: 11, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path);
        var straight = EpisodeDataLoader.CreateTrain(dataset, Options);
        Assert.AreEqual(7, straight.BatchesPerEpoch, $"fixture: 7 batches per epoch, {straight.SampleCount} samples");
        var total = 2 * saveAfter;
        var expected = Enumerable.Range(0, total).Select(_ => EpisodeFixtures.Snapshot(straight.NextBatch())).ToList();

        var first = EpisodeDataLoader.CreateTrain(dataset, Options);
        var before = Enumerable.Range(0, saveAfter).Select(_ => EpisodeFixtures.Snapshot(first.NextBatch())).ToList();
        var json = first.State.ToJson();
        var resumed = EpisodeDataLoader.CreateTrain(dataset, Options with { Seed = 1 }, LoaderState.FromJson(json));
        var after = Enumerable.Range(0, saveAfter).Select(_ => EpisodeFixtures.Snapshot(resumed.NextBatch())).ToList();

        var actual = before.Concat(after).ToList();
        for (var i = 0; i < total; i++)
        {
            Assert.IsTrue(expected[i].SameAs(actual[i]), $"batch {i} differs (epoch {expected[i].Epoch} index {expected[i].BatchIndex} vs {actual[i].Epoch} {actual[i].BatchIndex})");
        }

        Assert.AreEqual(straight.State, resumed.State);
        Assert.IsTrue(expected.Any(b => b.Epoch == 1) == (total > 7));
    }

    [TestMethod]
    public void State_AtEpochEnd_NamesTheNextEpochStart()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.Random(6, 2, 10, seed: 12));
        using var dataset = EpisodeDataset.Open(path);
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 2, BlockSize = 16, Seed = 5 });

        for (var i = 0; i < 3; i++)
        {
            loader.NextBatch();
        }

        var state = loader.State;
        Assert.AreEqual(1, state.Epoch);
        Assert.AreEqual(0, state.Position);
        Assert.AreEqual(5UL, state.Seed);
        Assert.AreEqual(state, LoaderState.FromJson(state.ToJson()));
    }

    [TestMethod]
    public void Constructor_StateOfAnotherDataset_ThrowsWithHint()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(10, 2, 10, seed: 13);
        using var a = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("a"), episodes));
        using var b = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("b"), episodes));
        var options = new EpisodeLoaderOptions { BatchSize = 2, BlockSize = 16 };
        var state = EpisodeDataLoader.CreateTrain(a, options).State;

        var e = Assert.ThrowsExactly<ArgumentException>(() => EpisodeDataLoader.CreateTrain(b, options, state));
        StringAssert.Contains(e.Message, "same dataset");
        Assert.ThrowsExactly<ArgumentException>(() => EpisodeDataLoader.CreateTrain(a, options with { BatchSize = 3 }, state));
    }

    [TestMethod]
    public void Statistics_TruncatePolicy_CountsTruncatedEpisodesAndDroppedSupervisedTargets()
    {
        using var temp = new TempDirectory();
        // Episode 0: 30 tokens, mask 1 everywhere; block 10 keeps 10 of 29 targets. Episode 1: 5 tokens, not truncated.
        var long0 = new SyntheticEpisode(Enumerable.Range(100, 30).ToArray(), Enumerable.Repeat((byte)1, 30).ToArray(), null, default);
        var short1 = new SyntheticEpisode([1, 2, 3, 4, 5], [0, 0, 0, 1, 1], null, default);
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("long"), [long0, short1]));

        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 2, BlockSize = 10, Shuffle = false });
        var batch = loader.NextBatch();

        var s = loader.Statistics;
        Assert.AreEqual(1, s.TruncatedEpisodeCount);
        Assert.AreEqual(0.5, s.TruncationRate, 1e-12);
        Assert.AreEqual(19, s.TargetsDropped);
        Assert.AreEqual(19, s.SupervisedTargetsDropped);
        Assert.AreEqual(12, s.SupervisedTargetCount);
        Assert.AreEqual(19.0 / 31, s.SupervisedDroppedFraction, 1e-12);
        CollectionAssert.AreEqual(Enumerable.Range(100, 10).Select(v => (long)v).ToArray(), batch.InputRow(0).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(101, 10).Select(v => (long)v).ToArray(), batch.TargetRow(0).ToArray());
    }

    [TestMethod]
    public void NextBatch_SplitIntoWindows_EveryTargetOfTheEpisodeAppearsExactlyOnce()
    {
        using var temp = new TempDirectory();
        var tokens = Enumerable.Range(1000, 25).ToArray();
        var mask = tokens.Select(t => (byte)(t % 3 == 0 ? 1 : 0)).ToArray();
        var advantages = tokens.Select(t => t / 10f).ToArray();
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("win"), [new SyntheticEpisode(tokens, mask, advantages, default)], advantages: true));
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 3, BlockSize = 10, Shuffle = false, LongEpisodes = LongEpisodePolicy.SplitIntoWindows });

        var batch = loader.NextBatch();

        // 24 targets in windows of 10: starts 0, 10, 20 with 10, 10, 4 targets.
        CollectionAssert.AreEqual(new[] { 0, 10, 20 }, batch.WindowStarts.ToArray());
        CollectionAssert.AreEqual(new[] { 10, 10, 4 }, batch.RowTargetCounts.ToArray());
        var seen = new List<long>();
        for (var r = 0; r < 3; r++)
        {
            var start = batch.WindowStarts[r];
            for (var t = 0; t < batch.RowTargetCounts[r]; t++)
            {
                var i = start + t + 1; // the target's index in the episode
                Assert.AreEqual(tokens[i - 1], batch.InputRow(r)[t]);
                Assert.AreEqual(tokens[i], batch.TargetRow(r)[t]);
                Assert.AreEqual(mask[i], batch.LossMaskRow(r)[t]);
                Assert.AreEqual(advantages[i], batch.AdvantageRow(r)[t]);
                seen.Add(batch.TargetRow(r)[t]);
            }
        }

        CollectionAssert.AreEqual(tokens.Skip(1).Select(v => (long)v).ToArray(), seen.ToArray());
        Assert.AreEqual(0, loader.Statistics.TargetsDropped);
        Assert.AreEqual(1, loader.Statistics.WindowedEpisodeCount);
    }

    [TestMethod]
    public void Constructor_ErrorPolicyWithLongEpisode_ThrowsNamingTheEpisode()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(3, 5, 8, seed: 14);
        episodes.Add(new SyntheticEpisode(Enumerable.Range(0, 40).ToArray(), new byte[40], null, default));
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("long"), episodes));

        var e = Assert.ThrowsExactly<EpisodeDatasetException>(() => EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BlockSize = 16, LongEpisodes = LongEpisodePolicy.Error }));

        Assert.AreEqual(EpisodeDatasetErrorKind.EpisodeTooLong, e.Kind);
        Assert.AreEqual(3L, e.Episode);
        StringAssert.Contains(e.Message, "40 tokens");
        StringAssert.Contains(e.Hint, "SplitIntoWindows");
    }

    [TestMethod]
    public void EnumerateEpoch_ValidationWithoutDropLast_LastBatchIsPartialAndCoversEverySample()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(7, 2, 10, seed: 15).Select(e => e with { Metadata = new EpisodeMetadata { Split = DatasetSplit.Validation } });
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("val"), episodes));
        var loader = EpisodeDataLoader.CreateValidation(dataset, new EpisodeLoaderOptions { BatchSize = 3, BlockSize = 16 });

        var batches = loader.EnumerateEpoch().ToList();

        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, batches.Select(b => b.Rows).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, 7).ToArray(), batches.SelectMany(b => b.EpisodeIndices.ToArray()).ToArray(), "validation keeps index order");
        CollectionAssert.AreEqual(new long[] { 1, 16 }, batches[2].Shape);
        Assert.AreEqual(16, batches[2].Inputs.Length);
    }

    [TestMethod]
    public void NextBatch_SkipSamplesWithoutSupervisedTarget_DropsThemAndCountsThem()
    {
        using var temp = new TempDirectory();
        SyntheticEpisode[] episodes =
        [
            new([1, 2, 3], [1, 0, 0], null, default), // the only 1 is on the first token, which is never a target
            new([4, 5, 6], [0, 1, 0], null, default),
            new([7, 8, 9], [0, 0, 0], null, default),
        ];
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("skip"), episodes));

        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 1, BlockSize = 4, SkipSamplesWithoutSupervisedTarget = true });

        Assert.AreEqual(1, loader.SampleCount);
        Assert.AreEqual(2, loader.Statistics.SamplesSkipped);
        Assert.AreEqual(1, loader.NextBatch().EpisodeIndices[0]);
        Assert.AreEqual(1L, dataset.Header.SupervisedTargetCount);
    }

    [TestMethod]
    public void NextBatch_UInt32Tokens_WidenedExactly()
    {
        using var temp = new TempDirectory();
        int[] tokens = [0, 65535, 65536, 99_999, 70_000];
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("big"), [new SyntheticEpisode(tokens, [0, 1, 1, 1, 1], null, default)], vocab: 100_000, padId: 0));
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 1, BlockSize = 4 });

        var batch = loader.NextBatch();

        Assert.AreEqual(EpisodeTokenType.UInt32, dataset.TokenType);
        CollectionAssert.AreEqual(new long[] { 0, 65535, 65536, 99_999 }, batch.InputRow(0).ToArray());
        CollectionAssert.AreEqual(new long[] { 65535, 65536, 99_999, 70_000 }, batch.TargetRow(0).ToArray());
    }

    [TestMethod]
    public void NextBatch_EmptySplit_ThrowsWithHint()
    {
        using var temp = new TempDirectory();
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(temp.Combine("few"), EpisodeFixtures.Random(2, 3, 5, seed: 16)));
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 4, BlockSize = 8 });

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => loader.NextBatch());

        StringAssert.Contains(e.Message, "lower BatchSize");
    }
}
