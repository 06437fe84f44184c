// Behaviour of BpeTokenizer beyond the parity corpus: special tokens, merge paths, cache, threads, decoding errors.
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class BpeTokenizerTests
{
    [TestMethod]
    public void EncodeToIds_SpecialTokenInsideText_IsOneIdNeverSplit()
    {
        var tokenizer = TestTokenizers.Qwen3;
        int[] ids = tokenizer.EncodeToIds("a<|im_end|>b");
        CollectionAssert.Contains(ids, 151645);
        Assert.AreEqual("a<|im_end|>b", tokenizer.Decode(ids));
        Assert.HasCount(3, ids);
    }

    [TestMethod]
    public void EncodeToIds_SpecialTokensDisallowed_EncodesThemAsText()
    {
        var tokenizer = TestTokenizers.Qwen3;
        int[] ids = tokenizer.EncodeToIds("x<|im_end|><think>", allowSpecialTokens: false);
        CollectionAssert.DoesNotContain(ids, 151645);
        CollectionAssert.Contains(ids, 151667, "<think> is not special, so it is still matched");
        Assert.AreEqual("x<|im_end|><think>", tokenizer.Decode(ids));
    }

    [TestMethod]
    public void Decode_SkipSpecialTokens_LeavesOnlyText()
    {
        var tokenizer = TestTokenizers.Qwen3;
        int[] ids = tokenizer.EncodeToIds("<|im_start|>user\nhi<|im_end|>");
        Assert.AreEqual("user\nhi", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [TestMethod]
    public void Decode_UnknownId_ThrowsNamingTheId()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TestTokenizers.Gpt2.Decode([15496, 50257]));
        StringAssert.Contains(e.Message, "50257");
    }

    [TestMethod]
    public void Decode_SplitMultiByteCharacter_GivesReplacementCharacter()
    {
        var tokenizer = TestTokenizers.Gpt2;
        int[] ids = tokenizer.EncodeToIds("\U0001F600");
        Assert.IsGreaterThan(1, ids.Length, "an emoji is several byte tokens in GPT-2");
        StringAssert.Contains(tokenizer.Decode(ids[..1]), "\uFFFD");
    }

    [TestMethod]
    public void MergeByScan_RandomWords_EqualsMergeByHeap()
    {
        var model = TestTokenizers.Qwen3.Model;
        var rng = new Random(7);
        string alphabet = "aaaabbbcdeeeeefghiiijklmnooopqrstuuvwxyz  ..,'\u00e9\u4e00\U0001F600";
        for (int trial = 0; trial < 300; trial++)
        {
            int length = rng.Next(2, 300);
            var chars = new System.Text.StringBuilder();
            while (chars.Length < length)
            {
                chars.Append(alphabet[rng.Next(alphabet.Length - 2)]);
            }

            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(chars.ToString());
            int[] a = [.. bytes.Select(b => model.ByteId(b))];
            int[] b = (int[])a.Clone();
            int na = model.MergeByScan(a);
            int nb = model.MergeByHeap(b);
            CollectionAssert.AreEqual(a[..na], b[..nb], $"trial {trial}: {chars}");
        }
    }

    [TestMethod]
    public void EncodeToIds_WithoutCache_EqualsWithCache()
    {
        var cached = TestTokenizers.Qwen3;
        var uncached = BpeTokenizer.Load(TestTokenizers.Dir("qwen3", "tokenizer.json"), cacheCapacity: 0);
        string text = "The cache must never change a result: repeated repeated repeated words, \u4e2d\u6587, 12345, emoji \U0001F44D\U0001F3FD.";
        CollectionAssert.AreEqual(uncached.EncodeToIds(text), cached.EncodeToIds(text));
        CollectionAssert.AreEqual(uncached.EncodeToIds(text), cached.EncodeToIds(text), "second call served from the cache");
    }

    [TestMethod]
    public void EncodeToIds_ManyThreads_EqualsSequential()
    {
        var tokenizer = TestTokenizers.Gpt2;
        var rng = new Random(3);
        string[] texts = [.. Enumerable.Range(0, 200).Select(i => string.Join(' ', Enumerable.Range(0, 50).Select(_ => "w" + rng.Next(5000))))];
        int[][] sequential = [.. texts.Select(t => tokenizer.EncodeToIds(t))];
        int[][] parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = tokenizer.EncodeToIds(texts[i]));
        for (int i = 0; i < texts.Length; i++)
        {
            CollectionAssert.AreEqual(sequential[i], parallel[i]);
        }
    }

    [TestMethod]
    public void EncodeToIds_ListOverload_AppendsToDestination()
    {
        var destination = new List<int> { -1 };
        TestTokenizers.Gpt2.EncodeToIds("Hello world", destination);
        CollectionAssert.AreEqual(new[] { -1, 15496, 995 }, destination);
        Assert.AreEqual(2, TestTokenizers.Gpt2.CountTokens("Hello world"));
    }

    [TestMethod]
    public void DecodePieces_Corpus_WholeCharactersThatConcatenateToTheText()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("parity_corpus.json")));
        var tokenizer = TestTokenizers.Gpt2;
        foreach (var element in doc.RootElement.GetProperty("strings").EnumerateArray())
        {
            string text = element.GetString()!;
            int[] ids = tokenizer.EncodeToIds(text);
            var pieces = tokenizer.DecodePieces(ids);
            Assert.AreEqual(text, string.Concat(pieces.Select(p => p.Text)));
            Assert.AreEqual(ids.Length, pieces.Sum(p => p.Count));
            Assert.IsFalse(pieces.Any(p => p.Text.Contains('\uFFFD', StringComparison.Ordinal)), System.Text.Json.JsonSerializer.Serialize(text));
            CollectionAssert.AreEqual(System.Text.Encoding.UTF8.GetBytes(text), ids.SelectMany(tokenizer.TokenToBytes).ToArray());
        }
    }

    [TestMethod]
    public void EncodeToIds_LoneSurrogate_EncodesAsReplacementCharacter()
    {
        // Not valid Unicode (Hugging Face cannot even receive it): encoded as the UTF-8 of U+FFFD, never a crash.
        var tokenizer = TestTokenizers.Qwen3;
        int[] ids = tokenizer.EncodeToIds("a\uD800b\uDC00");
        Assert.AreEqual("a\uFFFDb\uFFFD", tokenizer.Decode(ids));
    }

    [TestMethod]
    public void Decode_AsHardExampleTokenDecoder_DecodesText()
    {
        MaskedSft.MLNet.HardExamples.ITokenDecoder decoder = TestTokenizers.Gpt2;
        Assert.AreEqual("Hello world", decoder.Decode([15496, 995]));
    }

    [TestMethod]
    public void TokenToId_UnknownToken_IsNull()
    {
        Assert.IsNull(TestTokenizers.Qwen3.TokenToId("definitely-not-a-token-\u4e00\u4e00\u4e00"));
        Assert.IsNull(TestTokenizers.Qwen3.IdToToken(-1));
    }

    [TestMethod]
    public void EncodePartsToIds_RandomCuts_EqualsEncodingTheWholeText()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("parity_corpus.json")));
        var rng = new Random(5);
        foreach (var tokenizer in new[] { TestTokenizers.Qwen3, TestTokenizers.Gpt2 })
        {
            foreach (var element in doc.RootElement.GetProperty("strings").EnumerateArray())
            {
                string text = element.GetString()!;
                if (text.Contains('<', StringComparison.Ordinal))
                {
                    continue; // a cut inside an added token's text would (rightly) keep it from matching
                }

                var parts = new List<(string, bool)>();
                int position = 0;
                while (position < text.Length)
                {
                    int length = Math.Min(text.Length - position, rng.Next(1, 12));
                    parts.Add((text.Substring(position, length), rng.Next(2) == 0));
                    position += length;
                }

                var ids = new List<int>();
                tokenizer.EncodePartsToIds(parts, ids);
                CollectionAssert.AreEqual(tokenizer.EncodeToIds(text), ids, System.Text.Json.JsonSerializer.Serialize(text));
            }
        }
    }

    [TestMethod]
    public void EncodePartsToIds_SpecialTokensOnlyWhereAllowed()
    {
        var tokenizer = TestTokenizers.Qwen3;
        var ids = new List<int>();
        tokenizer.EncodePartsToIds([("<|im_start|>user\n", true), ("<|im_end|>", false), ("<|im_end|>", true)], ids);
        Assert.AreEqual(151644, ids[0]);
        Assert.AreEqual(151645, ids[^1]);
        Assert.AreEqual(1, ids.Count(id => id == 151645));
        Assert.AreEqual("<|im_start|>user\n<|im_end|><|im_end|>", tokenizer.Decode([.. ids]));
    }
}
