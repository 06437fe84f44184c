// Loader sharding over data-parallel ranks: the ranks' batches at a step together are exactly one process's batch of W·B
// rows, in the same global order; partial final batches; resume from any rank's state; argument checks.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDataLoaderShardingTests
{
    private static readonly EpisodeLoaderOptions Options = new() { BatchSize = 2, BlockSize = 12, Seed = 77, LongEpisodes = LongEpisodePolicy.SplitIntoWindows };

    [TestMethod]
    [DataRow(2, true, DisplayName = "2 ranks, shuffled")]
    [DataRow(3, true, DisplayName = "3 ranks, shuffled")]
    [DataRow(3, false, DisplayName = "3 ranks, index order")]
    public void NextBatch_AllRanks_UnionIsTheSingleProcessBatchOfWorldTimesB(int world, bool shuffle)
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(31, 2, 30, seed: 21, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path);
        var single = EpisodeDataLoader.CreateTrain(dataset, Options with { BatchSize = Options.BatchSize * world, Shuffle = shuffle });
        var ranks = Enumerable.Range(0, world).Select(r => EpisodeDataLoader.CreateTrain(dataset, Options with { Rank = r, WorldSize = world, Shuffle = shuffle })).ToArray();
        Assert.IsTrue(ranks.All(l => l.BatchesPerEpoch == single.BatchesPerEpoch), "every rank plans the single process's number of steps");
        Assert.IsGreaterThanOrEqualTo(3L, single.BatchesPerEpoch, "fixture: several global batches per epoch");

        for (var step = 0; step < (2 * single.BatchesPerEpoch) + 1; step++) // two epochs and a step of the third
        {
            var expected = single.NextBatch();
            var shards = ranks.Select(l => l.NextBatch()).ToArray();
            for (var r = 0; r < world; r++)
            {
                Assert.AreEqual(Options.BatchSize, shards[r].Rows);
                Assert.AreEqual(expected.Epoch, shards[r].Epoch);
                Assert.AreEqual(expected.BatchIndex, shards[r].BatchIndex);
                for (var k = 0; k < shards[r].Rows; k++)
                {
                    var row = r + (k * world); // rank r holds rows r, r + W, r + 2W, ... of the global batch
                    Assert.AreEqual(expected.EpisodeIndices[row], shards[r].EpisodeIndices[k], $"step {step} rank {r} row {k}");
                    Assert.AreEqual(expected.WindowStarts[row], shards[r].WindowStarts[k]);
                    CollectionAssert.AreEqual(expected.InputRow(row).ToArray(), shards[r].InputRow(k).ToArray());
                    CollectionAssert.AreEqual(expected.TargetRow(row).ToArray(), shards[r].TargetRow(k).ToArray());
                    CollectionAssert.AreEqual(expected.LossMaskRow(row).ToArray(), shards[r].LossMaskRow(k).ToArray());
                    CollectionAssert.AreEqual(expected.AdvantageRow(row).ToArray(), shards[r].AdvantageRow(k).ToArray());
                }
            }

            Assert.AreEqual(expected.SupervisedTargetCount, shards.Sum(b => b.SupervisedTargetCount));
            Assert.AreEqual(expected.TargetCount, shards.Sum(b => b.TargetCount));
        }
    }

    [TestMethod]
    public void EnumerateEpoch_NoDropLast_FinalGlobalBatchIsDealtAcrossRanksSomeEmpty()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(13, 2, 10, seed: 22).Select(e => e with { Metadata = new EpisodeMetadata { Split = DatasetSplit.Validation } });
        var path = EpisodeFixtures.Write(temp.Combine("val"), episodes);
        using var dataset = EpisodeDataset.Open(path);
        const int world = 4;
        var options = new EpisodeLoaderOptions { BatchSize = 2, BlockSize = 16 };
        var single = EpisodeDataLoader.CreateValidation(dataset, options with { BatchSize = 2 * world }).EnumerateEpoch().ToList();
        var shards = Enumerable.Range(0, world).Select(r => EpisodeDataLoader.CreateValidation(dataset, options with { Rank = r, WorldSize = world }).EnumerateEpoch().ToList()).ToArray();

        Assert.HasCount(2, single, "13 samples in global batches of 8: 8 + 5");
        Assert.IsTrue(shards.All(s => s.Count == 2), "every rank yields both batches, even an empty share");
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 2 }, shards.Select(s => s[0].Rows).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 1, 1, 1 }, shards.Select(s => s[1].Rows).ToArray(), "5 rows dealt round-robin: 0,4 | 1 | 2 | 3");
        for (var b = 0; b < 2; b++)
        {
            var expected = single[b].EpisodeIndices.ToArray().Order().ToArray();
            var union = shards.SelectMany(s => s[b].EpisodeIndices.ToArray()).Order().ToArray();
            CollectionAssert.AreEqual(expected, union, $"batch {b}: the ranks' rows are exactly the single process's");
        }

        var three = Enumerable.Range(0, world).Select(r => EpisodeDataLoader.CreateValidation(dataset, options with { BatchSize = 3, Rank = r, WorldSize = world }).EnumerateEpoch().ToList()).ToArray();
        CollectionAssert.AreEqual(new[] { 1, 0, 0, 0 }, three.Select(s => s[^1].Rows).ToArray(), "13 = 12 + 1: only rank 0 has a row of the final batch");
        Assert.IsEmpty(three[3][^1].EpisodeIndices.ToArray());
    }

    [TestMethod]
    [DataRow(1, DisplayName = "resume mid-epoch")]
    [DataRow(4, DisplayName = "resume at the epoch boundary")]
    public void NextBatch_RankResumedFromRankZerosState_YieldsTheUninterruptedShard(int saveAfter)
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(17, 2, 12, seed: 23, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path);
        var rank0 = EpisodeDataLoader.CreateTrain(dataset, Options with { Rank = 0, WorldSize = 2 });
        var rank1 = EpisodeDataLoader.CreateTrain(dataset, Options with { Rank = 1, WorldSize = 2 });
        Assert.AreEqual(4, rank1.BatchesPerEpoch, "fixture: 17 samples, global batches of 4");
        var straight = Enumerable.Range(0, 2 * saveAfter + 2).Select(_ => EpisodeFixtures.Snapshot(rank1.NextBatch())).ToList();

        for (var i = 0; i < saveAfter; i++) rank0.NextBatch();
        var resumed = EpisodeDataLoader.CreateTrain(dataset, Options with { Rank = 1, WorldSize = 2 }, LoaderState.FromJson(rank0.State.ToJson()));
        for (var i = saveAfter; i < straight.Count; i++)
        {
            Assert.IsTrue(straight[i].SameAs(EpisodeFixtures.Snapshot(resumed.NextBatch())), $"batch {i} differs after resuming from rank 0's state");
        }
    }

    [TestMethod]
    public void Constructor_StateOfAnotherWorldSize_IsRefused()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.Random(12, 2, 10, seed: 24));
        using var dataset = EpisodeDataset.Open(path);
        var two = EpisodeDataLoader.CreateTrain(dataset, Options with { WorldSize = 2 });
        two.NextBatch();

        var e = Assert.ThrowsExactly<ArgumentException>(() => EpisodeDataLoader.CreateTrain(dataset, Options, two.State));

        StringAssert.Contains(e.Message, "world=2");
        Assert.DoesNotContain("world", EpisodeDataLoader.CreateTrain(dataset, Options with { BatchSize = 4 }).Fingerprint,
            "one process keeps the fingerprint of loaders without sharding, so their checkpoints still resume");
    }

    [TestMethod]
    [DataRow(0, 0, "WorldSize")]
    [DataRow(-1, 2, "Rank")]
    [DataRow(2, 2, "Rank")]
    [DataRow(5, 3, "Rank")]
    public void Constructor_BadRankOrWorldSize_ThrowsNamingIt(int rank, int world, string named)
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.Random(4, 2, 10, seed: 25));
        using var dataset = EpisodeDataset.Open(path);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => EpisodeDataLoader.CreateTrain(dataset, Options with { Rank = rank, WorldSize = world }));

        StringAssert.Contains(e.Message, named);
    }
}
