// LoadEpisodes / SaveEpisodes: the episode dataset as an ML.NET data view, through TrainTestSplit, ShuffleRows, TakeRows, CreateEnumerable.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
public sealed class EpisodeDataViewTests
{
    [TestMethod]
    public void LoadEpisodes_DatasetWithAdvantages_SchemaAndRowsEqualTheDataset()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(23, 1, 40, seed: 5, advantages: true, vocab: 300, validationFraction: 0.3);
        string path = EpisodeFixtures.Write(temp.Combine("data"), episodes, vocab: 300, padId: 7, advantages: true);
        var ml = new MLContext(seed: 1);
        var view = ml.MaskedSft().LoadEpisodes(path);

        Assert.AreEqual("Tokens:Vector<Int32>,LossMask:Vector<Boolean>,Advantages:Vector<Single>,Key:UInt64,Score:Double,Group:Int64",
            string.Join(",", view.Schema.Select(c => $"{c.Name}:{c.Type}")));
        Assert.AreEqual(23L, view.GetRowCount());
        int vocab = 0;
        view.Schema[EpisodeColumns.Tokens].Annotations.GetValue(EpisodeColumns.VocabSizeAnnotation, ref vocab);
        Assert.AreEqual(300, vocab);

        var rows = ml.Data.CreateEnumerable<EpisodeRow>(view, reuseRowObject: false).ToList();
        using var dataset = EpisodeDataset.Open(path);
        for (int e = 0; e < episodes.Count; e++)
        {
            var info = dataset.GetEpisode(e);
            CollectionAssert.AreEqual(episodes[e].Tokens, rows[e].Tokens, $"episode {e}");
            CollectionAssert.AreEqual(episodes[e].Mask.Select(b => b != 0).ToArray(), rows[e].LossMask, $"episode {e}");
            CollectionAssert.AreEqual(episodes[e].Advantages, rows[e].Advantages, $"episode {e}");
            Assert.AreEqual(info.Key, rows[e].Key);
            Assert.AreEqual(info.Score!.Value, rows[e].Score);
            Assert.AreEqual(info.GroupId!.Value, rows[e].Group);
        }

        var validation = ml.MaskedSft().LoadEpisodes(path, DatasetSplit.Validation);
        Assert.AreEqual((long)dataset.Header.ValidationEpisodeCount, validation.GetRowCount());
        Assert.IsGreaterThan(0L, validation.GetRowCount()!.Value);
    }

    [TestMethod]
    public void LoadEpisodes_TrainTestSplitShuffleTake_KeepEveryEpisodeOnceWithItsContent()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(60, 2, 30, seed: 9, vocab: 500);
        string path = EpisodeFixtures.Write(temp.Combine("data"), episodes, vocab: 500, padId: 0);
        var ml = new MLContext(seed: 3);
        var view = ml.MaskedSft().LoadEpisodes(path);
        var byKey = ml.Data.CreateEnumerable<EpisodeRow>(view, false, ignoreMissingColumns: true).ToDictionary(r => r.Key, r => r.Tokens);

        var split = ml.Data.TrainTestSplit(view, testFraction: 0.25, samplingKeyColumnName: EpisodeColumns.Key, seed: 4);
        var train = ml.Data.CreateEnumerable<EpisodeRow>(split.TrainSet, false, ignoreMissingColumns: true).ToList();
        var test = ml.Data.CreateEnumerable<EpisodeRow>(split.TestSet, false, ignoreMissingColumns: true).ToList();
        Assert.AreEqual(60, train.Count + test.Count);
        CollectionAssert.AreEquivalent(byKey.Keys.ToList(), train.Concat(test).Select(r => r.Key).ToList(), "every episode in exactly one part");
        Assert.IsTrue(test.Count is > 5 and < 25, $"about a quarter in the test part, got {test.Count}");

        var shuffled = ml.Data.CreateEnumerable<EpisodeRow>(ml.Data.ShuffleRows(view, seed: 11), false, ignoreMissingColumns: true).ToList();
        CollectionAssert.AreEquivalent(byKey.Keys.ToList(), shuffled.Select(r => r.Key).ToList());
        CollectionAssert.AreNotEqual(byKey.Keys.ToList(), shuffled.Select(r => r.Key).ToList(), "the order changed");
        foreach (var row in shuffled)
        {
            CollectionAssert.AreEqual(byKey[row.Key], row.Tokens, "a shuffled row keeps its own tokens");
        }

        var first = ml.Data.CreateEnumerable<EpisodeRow>(ml.Data.TakeRows(view, 5), false, ignoreMissingColumns: true).Select(r => r.Key).ToList();
        CollectionAssert.AreEqual(byKey.Keys.Take(5).ToList(), first);
    }

    [TestMethod]
    public void SaveEpisodes_LoadedView_WritesAnEqualDataset()
    {
        using var temp = new TempDirectory();
        var episodes = EpisodeFixtures.Random(17, 1, 25, seed: 2, advantages: true, vocab: 128);
        string source = EpisodeFixtures.Write(temp.Combine("source"), episodes, vocab: 128, padId: 3, advantages: true);
        var ml = new MLContext(seed: 1);
        ml.MaskedSft().SaveEpisodes(ml.MaskedSft().LoadEpisodes(source), temp.Combine("copy"));

        using var a = EpisodeDataset.Open(source);
        using var b = EpisodeDataset.Open(temp.Combine("copy"));
        Assert.AreEqual((a.VocabSize, a.PadId, a.HasAdvantages, a.Header.Tokenizer!.Name), (b.VocabSize, b.PadId, b.HasAdvantages, b.Header.Tokenizer!.Name),
            "vocabulary, pad id and tokenizer come from the tokens column's annotations");
        Assert.AreEqual(a.EpisodeCount, b.EpisodeCount);
        for (int e = 0; e < a.EpisodeCount; e++)
        {
            Assert.AreEqual(a.GetEpisode(e) with { Split = default }, b.GetEpisode(e) with { Split = default });
            CollectionAssert.AreEqual(a.GetEpisodeTokens(e), b.GetEpisodeTokens(e));
            CollectionAssert.AreEqual(a.GetEpisodeMask(e), b.GetEpisodeMask(e));
            CollectionAssert.AreEqual(a.GetEpisodeAdvantages(e), b.GetEpisodeAdvantages(e));
        }
    }

    [TestMethod]
    public void SaveEpisodes_EnumerableWithoutAnnotations_InfersVocabularyFromTheIds()
    {
        using var temp = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new EpisodeInput { Tokens = [1, 2, 3], LossMask = [false, true, true] },
            new EpisodeInput { Tokens = [4, 99], LossMask = [false, true] },
        });
        ml.MaskedSft().SaveEpisodes(data, temp.Combine("out"));
        using var dataset = EpisodeDataset.Open(temp.Combine("out"));
        Assert.AreEqual(100, dataset.VocabSize);
        Assert.AreEqual(3L, dataset.Header.SupervisedTargetCount);
    }

    [TestMethod]
    public void SaveEpisodes_TokensOfWrongType_ThrowsNamingColumnAndBothTypes()
    {
        using var temp = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new WrongTokens { Tokens = [1f, 2f], LossMask = [false, true] } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MaskedSft().SaveEpisodes(data, temp.Combine("out")));
        StringAssert.Contains(e.Message, "'Tokens'");
        StringAssert.Contains(e.Message, "expected Vector<Int32>, got Vector<Single>");
        Assert.IsFalse(Directory.Exists(temp.Combine("out")));
    }

    [TestMethod]
    public void SaveEpisodes_MaskShorterThanTokens_ThrowsNamingTheRowAndWritesNothing()
    {
        using var temp = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new EpisodeInput { Tokens = [1, 2], LossMask = [false, true] },
            new EpisodeInput { Tokens = [1, 2, 3], LossMask = [false, true] },
        });
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MaskedSft().SaveEpisodes(data, temp.Combine("out"), new SaveEpisodesOptions { VocabSize = 10 }));
        StringAssert.Contains(e.Message, "row 1 has 3 tokens in 'Tokens' but 2 values in 'LossMask'");
        Assert.IsFalse(Directory.Exists(temp.Combine("out")));
    }

    /// <summary>A row of an episode data view (CreateEnumerable).</summary>
    public sealed class EpisodeRow
    {
        public int[] Tokens { get; set; } = [];

        public bool[] LossMask { get; set; } = [];

        public float[]? Advantages { get; set; }

        public ulong Key { get; set; }

        public double Score { get; set; }

        public long Group { get; set; }
    }

    /// <summary>Tokens and mask as a user's program builds them.</summary>
    public sealed class EpisodeInput
    {
        public int[] Tokens { get; set; } = [];

        public bool[] LossMask { get; set; } = [];
    }

    /// <summary>Tokens of the wrong element type.</summary>
    public sealed class WrongTokens
    {
        public float[] Tokens { get; set; } = [];

        public bool[] LossMask { get; set; } = [];
    }
}
