// Property test (FsCheck): random sets of episodes round-trip exactly through the writer and the reader.
using FsCheck;
using FsCheck.Fluent;
using MaskedSft.MLNet.Data;
using Microsoft.FSharp.Core;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDatasetRoundTripTests
{
    private static Gen<SyntheticEpisode> EpisodeGen(int vocab, bool advantages) =>
        from length in Gen.Choose(1, 40)
        from tokens in Gen.ArrayOf(Gen.Choose(0, vocab - 1), length)
        from mask in Gen.ArrayOf(Gen.Choose(0, 1).Select(b => (byte)b), length)
        from adv in Gen.ArrayOf(Gen.Choose(-1000, 1000).Select(a => a / 100f), length)
        from key in Gen.Choose(0, 3).SelectMany(k => k == 0 ? Gen.Constant<ulong?>(null) : Gen.Choose(1, int.MaxValue).Select(v => (ulong?)(ulong)v))
        from split in Gen.Elements(DatasetSplit.Train, DatasetSplit.Validation)
        from score in Gen.Elements<double?>(null, -1.5, 0, 2.25, 1e-300)
        from groupId in Gen.Elements<long?>(null, 0, -5, long.MaxValue)
        select new SyntheticEpisode(tokens, mask, advantages ? adv : null, new EpisodeMetadata { Key = key, Split = split, Score = score, GroupId = groupId });

    private static Gen<(int Vocab, bool Advantages, SyntheticEpisode[] Episodes)> DatasetGen =>
        from vocab in Gen.Elements(2, 300, 65536, 70_000)
        from advantages in Gen.Elements(false, true)
        from count in Gen.Choose(0, 12)
        from episodes in Gen.ArrayOf(EpisodeGen(vocab, advantages), count)
        select (vocab, advantages, episodes);

    [TestMethod]
    public void WriterThenReader_RandomEpisodes_RoundTripExactly()
    {
        using var temp = new TempDirectory();
        var run = 0;
        var property = Prop.ForAll(DatasetGen.ToArbitrary(), data =>
        {
            var explicitKeys = new HashSet<ulong>();
            var episodes = data.Episodes.Where(e => e.Metadata.Key is not { } k || explicitKeys.Add(k)).ToArray(); // explicit keys must be unique
            var path = temp.Combine($"run{run++}");
            EpisodeFixtures.Write(path, episodes, vocab: data.Vocab, padId: data.Vocab - 1, advantages: data.Advantages);
            using var dataset = EpisodeDataset.Open(path);

            var ok = dataset.EpisodeCount == episodes.Length
                && dataset.TokenType == EpisodeTokenTypes.ForVocabSize(data.Vocab)
                && dataset.TokenCount == episodes.Sum(e => (long)e.Tokens.Length)
                && dataset.Header.SupervisedTargetCount == episodes.Sum(e => (long)e.Mask.Skip(1).Count(b => b == 1))
                && dataset.Header.ValidationEpisodeCount == episodes.Count(e => e.Metadata.Split == DatasetSplit.Validation)
                && EpisodeDataset.Verify(path).Count == 0;
            for (var i = 0; ok && i < episodes.Length; i++)
            {
                var expected = episodes[i];
                var info = dataset.GetEpisode(i);
                ok = dataset.GetEpisodeTokens(i).AsSpan().SequenceEqual(expected.Tokens)
                    && dataset.GetEpisodeMask(i).AsSpan().SequenceEqual(expected.Mask)
                    && (expected.Advantages is null
                        ? dataset.GetEpisodeAdvantages(i) is null
                        : dataset.GetEpisodeAdvantages(i)!.AsSpan().SequenceEqual(expected.Advantages))
                    && (expected.Metadata.Key is not { } key || info.Key == key)
                    && info.Split == expected.Metadata.Split
                    && info.Score == expected.Metadata.Score
                    && info.GroupId == expected.Metadata.GroupId
                    && info.Length == expected.Tokens.Length;
            }

            return ok && dataset.GetEpisodeKeysAreUnique();
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60).WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20250101UL), FSharpOption<int>.None))), property);
    }
}

/// <summary>Key uniqueness over a whole dataset.</summary>
internal static class EpisodeDatasetTestExtensions
{
    public static bool GetEpisodeKeysAreUnique(this EpisodeDataset dataset) =>
        Enumerable.Range(0, dataset.EpisodeCount).Select(i => dataset.GetEpisode(i).Key).Distinct().Count() == dataset.EpisodeCount;
}
