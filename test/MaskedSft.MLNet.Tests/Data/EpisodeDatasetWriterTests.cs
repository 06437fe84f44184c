// The writer: atomic finalize and cleanup, input validation that keeps it usable, derived keys, split rule, chunked episodes.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDatasetWriterTests
{
    private static readonly EpisodeDatasetWriterOptions Small = new() { VocabSize = 1000, PadId = 0 };

    [TestMethod]
    public void Dispose_WithoutComplete_DeletesTheStagingDirectoryAndLeavesNoDataset()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("ds");
        string staging;
        using (var writer = new EpisodeDatasetWriter(target, Small))
        {
            writer.AppendEpisode([1, 2, 3], [0, 1, 1]);
            staging = writer.StagingPath;
            Assert.IsTrue(Directory.Exists(staging));
        }

        Assert.IsFalse(Directory.Exists(staging));
        Assert.IsFalse(Directory.Exists(target));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(temp.Path).Length);
    }

    [TestMethod]
    public void Dispose_AfterAnExceptionMidWrite_LeavesNothingThatOpens()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("ds");

        Assert.ThrowsExactly<InvalidOperationException>(() =>
        {
            using var writer = new EpisodeDatasetWriter(target, Small);
            writer.BeginEpisode();
            writer.Write([1, 2, 3], [0, 1, 1]);
            throw new InvalidOperationException("source data failed mid-episode");
        });

        Assert.IsFalse(Directory.Exists(target));
        Assert.AreEqual(0, Directory.GetFileSystemEntries(temp.Path).Length);
    }

    [TestMethod]
    public void AppendEpisode_InvalidValues_ThrowsAndTheWriterStaysUsable()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("ds");
        using (var writer = new EpisodeDatasetWriter(target, Small with { WithAdvantages = true }))
        {
            var tooBig = Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([1, 1000], [0, 1], [0f, 1f]));
            StringAssert.Contains(tooBig.Message, "token 1: id 1000 is outside [0, 1000)");
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([1, 2], [0, 2], [0f, 1f]));
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([1, 2], [0, 1], [0f, float.NaN]));
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([1, 2], [0, 1], [0f]));
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([], [], []));
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([1, 2], [0, 1], [0f, 1f], new EpisodeMetadata { Score = double.PositiveInfinity }));
            writer.AppendEpisode([1, 2], [0, 1], [0.5f, 1.5f], new EpisodeMetadata { Key = 7 });
            Assert.ThrowsExactly<ArgumentException>(() => writer.AppendEpisode([3, 4], [0, 1], [0f, 1f], new EpisodeMetadata { Key = 7 }));
            writer.Complete();
        }

        using var dataset = EpisodeDataset.Open(target);
        Assert.AreEqual(1, dataset.EpisodeCount);
        Assert.AreEqual(7UL, dataset.GetEpisode(0).Key);
        CollectionAssert.AreEqual(new[] { 0.5f, 1.5f }, dataset.GetEpisodeAdvantages(0));
    }

    [TestMethod]
    public void Write_BadSecondChunk_FaultsTheWriter()
    {
        using var temp = new TempDirectory();
        using var writer = new EpisodeDatasetWriter(temp.Combine("ds"), Small);
        writer.BeginEpisode();
        writer.Write([1, 2], [0, 1]);

        Assert.ThrowsExactly<ArgumentException>(() => writer.Write([5000], [1]));

        var e = Assert.ThrowsExactly<InvalidOperationException>(writer.Complete);
        StringAssert.Contains(e.Message, "Faulted");
    }

    [TestMethod]
    public void Constructor_ExistingTarget_ThrowsUnlessOverwrite()
    {
        using var temp = new TempDirectory();
        var target = EpisodeFixtures.Write(temp.Combine("ds"), [new SyntheticEpisode([1, 2, 3], [0, 1, 1], null, default)], vocab: 1000, padId: 0);

        var e = Assert.ThrowsExactly<IOException>(() => new EpisodeDatasetWriter(target, Small));
        StringAssert.Contains(e.Message, "Overwrite");

        using (var writer = new EpisodeDatasetWriter(target, Small with { Overwrite = true }))
        {
            writer.AppendEpisode([4, 5], [0, 1]);
            writer.AppendEpisode([6, 7], [0, 1]);
            writer.Complete();
        }

        using var dataset = EpisodeDataset.Open(target);
        Assert.AreEqual(2, dataset.EpisodeCount);
        Assert.AreEqual(1, Directory.GetDirectories(temp.Path).Length, "the replaced dataset is removed");
    }

    [TestMethod]
    public void EndEpisode_NoKeyGiven_DerivesStableUniqueKeysFromContent()
    {
        using var temp = new TempDirectory();
        var first = new List<ulong>();
        var second = new List<ulong>();
        foreach (var (name, keys) in new[] { ("a", first), ("b", second) })
        {
            using var writer = new EpisodeDatasetWriter(temp.Combine(name), Small);
            keys.Add(writer.AppendEpisode([1, 2, 3], [0, 1, 1]));
            keys.Add(writer.AppendEpisode([1, 2, 3], [0, 1, 1])); // duplicate content
            keys.Add(writer.AppendEpisode([1, 2, 3], [0, 0, 1])); // same tokens, another mask
            writer.Complete();
        }

        CollectionAssert.AreEqual(first, second, "keys depend on content only");
        Assert.AreEqual(3, first.Distinct().Count());

        // The documented derivation: FNV-1a over (token | mask << 32) words, then the SplitMix64 finalizer.
        var h = 0xCBF29CE484222325UL;
        foreach (var (t, m) in new[] { (1UL, 0UL), (2UL, 1UL), (3UL, 1UL) })
        {
            h = (h ^ (t | (m << 32))) * 0x100000001B3UL;
        }

        Assert.AreEqual(SplitMix64.Mix(h), first[0]);
        Assert.AreEqual(SplitMix64.Mix(h + 1), first[1]);
    }

    [TestMethod]
    public void EndEpisode_ValidationFraction_AssignsSplitByTheDocumentedKeyHash()
    {
        using var temp = new TempDirectory();
        var options = Small with { ValidationFraction = 0.25, SplitSeed = 77 };
        var target = temp.Combine("ds");
        using (var writer = new EpisodeDatasetWriter(target, options))
        {
            for (var e = 0; e < 2000; e++)
            {
                writer.AppendEpisode([e % 1000, (e / 1000) + 1], [0, 1], default, new EpisodeMetadata { Key = (ulong)e * 31 });
            }

            writer.Complete();
        }

        using var dataset = EpisodeDataset.Open(target);
        var threshold = (ulong)(0.25 * 18446744073709551616.0);
        for (var e = 0; e < dataset.EpisodeCount; e++)
        {
            var info = dataset.GetEpisode(e);
            var expected = SplitMix64.Mix(info.Key ^ 77UL) < threshold ? DatasetSplit.Validation : DatasetSplit.Train;
            Assert.AreEqual(expected, info.Split);
        }

        Assert.AreEqual(500, dataset.Header.ValidationEpisodeCount, 60);
        Assert.AreEqual(0.25, dataset.Header.Split!.ValidationFraction);
    }

    [TestMethod]
    public void Write_EpisodeInChunks_EqualsTheEpisodeWrittenWhole()
    {
        using var temp = new TempDirectory();
        var episode = EpisodeFixtures.Random(1, 100_000, 100_000, seed: 31, advantages: true, vocab: 1000)[0];
        ulong chunkedKey, wholeKey;
        using (var writer = new EpisodeDatasetWriter(temp.Combine("chunked"), Small with { WithAdvantages = true }))
        {
            writer.BeginEpisode();
            for (var start = 0; start < episode.Tokens.Length; start += 7_000)
            {
                var n = Math.Min(7_000, episode.Tokens.Length - start);
                writer.Write(episode.Tokens.AsSpan(start, n), episode.Mask.AsSpan(start, n), episode.Advantages.AsSpan(start, n));
            }

            chunkedKey = writer.EndEpisode();
            writer.Complete();
        }

        using (var writer = new EpisodeDatasetWriter(temp.Combine("whole"), Small with { WithAdvantages = true }))
        {
            wholeKey = writer.AppendEpisode(episode.Tokens, episode.Mask, episode.Advantages);
            writer.Complete();
        }

        Assert.AreEqual(wholeKey, chunkedKey);
        using var chunked = EpisodeDataset.Open(temp.Combine("chunked"));
        using var whole = EpisodeDataset.Open(temp.Combine("whole"));
        CollectionAssert.AreEqual(episode.Tokens, chunked.GetEpisodeTokens(0));
        CollectionAssert.AreEqual(whole.GetEpisodeMask(0), chunked.GetEpisodeMask(0));
        CollectionAssert.AreEqual(whole.GetEpisodeAdvantages(0), chunked.GetEpisodeAdvantages(0));
        Assert.AreEqual(whole.Header.SupervisedTargetCount, chunked.Header.SupervisedTargetCount);
    }

    [TestMethod]
    public void Complete_EmptyDataset_OpensWithZeroEpisodes()
    {
        using var temp = new TempDirectory();
        using (var writer = new EpisodeDatasetWriter(temp.Combine("empty"), Small))
        {
            writer.Complete();
        }

        using var dataset = EpisodeDataset.Open(temp.Combine("empty"));
        Assert.AreEqual(0, dataset.EpisodeCount);
        Assert.AreEqual(0, dataset.ComputeStatistics().LengthHistogram.Count);
    }
}
