// Tests of the synthetic chat corpus: determinism, mask placement, answers as a function of the question.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Pipelines;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
public sealed class SyntheticChatCorpusTests
{
    [TestMethod]
    public void Generate_SameSeeds_SameEpisodes()
    {
        var a = SyntheticChatCorpus.Create(3).Generate(50, 1);
        var b = SyntheticChatCorpus.Create(3).Generate(50, 1);
        var c = SyntheticChatCorpus.Create(3).Generate(50, 2);
        Assert.IsTrue(a.Zip(b).All(p => p.First.Tokens.SequenceEqual(p.Second.Tokens) && p.First.Mask.SequenceEqual(p.Second.Mask)));
        Assert.IsFalse(a.Zip(c).All(p => p.First.Tokens.SequenceEqual(p.Second.Tokens)));
    }

    [TestMethod]
    public void Generate_Episode_MaskCoversExactlyAssistantAnswerAndEnd()
    {
        var corpus = SyntheticChatCorpus.Create();
        foreach (var e in corpus.Generate(200, 9))
        {
            Assert.IsTrue(e.Tokens.Length <= SyntheticChatCorpus.MaxEpisodeLength);
            Assert.AreEqual(SyntheticChatCorpus.AssistantId, e.Tokens[e.PromptLength - 1]);
            Assert.AreEqual(SyntheticChatCorpus.EndId, e.Tokens[^1]);
            for (var i = 0; i < e.Tokens.Length; i++) Assert.AreEqual(i >= e.PromptLength ? 1 : 0, e.Mask[i], $"position {i}");
            var text = corpus.Decode(e.Response);
            StringAssert.StartsWith(text, "the ");
            StringAssert.EndsWith(text, " . <|end|>");
        }
    }

    [TestMethod]
    public void Generate_SameQuestion_SameAnswer()
    {
        var corpus = SyntheticChatCorpus.Create();
        var answers = new Dictionary<string, string>();
        foreach (var e in corpus.Generate(500, 4))
        {
            var words = corpus.Decode(e.Tokens.AsSpan(0, e.PromptLength)).Split(' ');
            var question = string.Join(' ', words[^6..^2]); // "capital of X ?" or "flag of X ?"
            var answer = corpus.Decode(e.Response);
            if (answers.TryGetValue(question, out var seen)) Assert.AreEqual(seen, answer, question);
            else answers[question] = answer;
        }

        Assert.AreEqual(SyntheticChatCorpus.FactCount, answers.Count);
        Assert.IsTrue(corpus.PaddedVocabSize >= corpus.Vocabulary.Count && corpus.PaddedVocabSize % 64 == 0);
    }

    [TestMethod]
    public void WriteDataset_Counts_ReadBackEqual()
    {
        var dir = Path.Combine(Path.GetTempPath(), "msft-synth-" + Guid.NewGuid().ToString("N"));
        try
        {
            var corpus = SyntheticChatCorpus.Create(5);
            corpus.WriteDataset(dir, trainCount: 30, validationCount: 7);
            Assert.IsTrue(EpisodeDataset.IsEpisodeDataset(dir));
            using var ds = EpisodeDataset.Open(dir);
            Assert.AreEqual(30, ds.Header.TrainEpisodeCount);
            Assert.AreEqual(7, ds.Header.ValidationEpisodeCount);
            Assert.AreEqual(corpus.PaddedVocabSize, ds.VocabSize);
            var expected = corpus.Generate(30, 1).Concat(corpus.Generate(7, 2)).ToArray();
            for (var i = 0; i < expected.Length; i++)
            {
                CollectionAssert.AreEqual(expected[i].Tokens, ds.GetEpisodeTokens(i));
                CollectionAssert.AreEqual(expected[i].Mask, ds.GetEpisodeMask(i));
                Assert.AreEqual(i < 30 ? DatasetSplit.Train : DatasetSplit.Validation, ds.GetEpisode(i).Split);
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }
}
