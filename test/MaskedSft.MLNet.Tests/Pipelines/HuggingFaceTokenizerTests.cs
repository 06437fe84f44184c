// HuggingFaceTokenizer as an ML.NET Tokenizer: ids equal to our BPE, to Hugging Face and to ML.NET's GPT-2 tokenizers; offsets, limits, decoding.
using System.Buffers;
using System.Text.Json;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
public sealed class HuggingFaceTokenizerTests
{
    private static readonly Lazy<HuggingFaceTokenizer> Gpt2 = new(() => HuggingFaceTokenizer.FromFile(Path.GetDirectoryName(TestTokenizers.Dir("gpt2", "encoder.json"))!));
    private static readonly Lazy<HuggingFaceTokenizer> Qwen3 = new(() => HuggingFaceTokenizer.FromFile(TestTokenizers.Dir("qwen3", "tokenizer.json")));
    private static readonly Lazy<HuggingFaceTokenizer> Llama3 = new(() => HuggingFaceTokenizer.FromFile(Path.GetDirectoryName(TestTokenizers.Dir("llama3", "tokenizer.json"))!));

    private static HuggingFaceTokenizer ByName(string name) => name switch
    {
        "gpt2" => Gpt2.Value,
        "qwen3" => Qwen3.Value,
        _ => Llama3.Value,
    };

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void EncodeToIds_ParityCorpus_EqualsHuggingFaceAndBpeIds(string name)
    {
        Tokenizer tokenizer = ByName(name);
        int[][] expected = ParityTests.ReferenceField(name, "ids");
        var strings = ParityTests.Corpus.Value;
        var failures = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            var actual = tokenizer.EncodeToIds(strings[i]);
            if (!actual.SequenceEqual(expected[i]) || !actual.SequenceEqual(TestTokenizers.ByName(name).EncodeToIds(strings[i])))
            {
                failures.Add($"#{i} {JsonSerializer.Serialize(strings[i])}");
            }
        }

        Assert.IsEmpty(failures, $"{failures.Count} strings differ for {name}:\n" + string.Join("\n", failures.Take(10)));
    }

    [TestMethod]
    public void FromFile_Gpt2Folder_DiffersFromMlNetGpt2TokenizersOnlyWhereTheyDepartFromHuggingFace()
    {
        // ML.NET reads the same GPT-2 vocabulary two ways: TiktokenTokenizer from its gpt2.tiktoken data package, and
        // CodeGenTokenizer from encoder.json + vocab.bpe. Ours equals Hugging Face on every string (asserted above). Measured
        // on the corpus: Tiktoken agrees on 373 of 379; it departs only where an apostrophe contraction follows a character
        // outside the BMP (.NET's Regex sees the surrogate pair as two non-letters, so "'s" joins the punctuation run).
        // CodeGen departs on 146: runs of spaces or tabs, which it maps to CodeGen's own whitespace tokens (50257+), and the
        // same contractions.
        string encoder = TestTokenizers.Dir("gpt2", "encoder.json");
        using var vocab = File.OpenRead(encoder);
        using var merges = File.OpenRead(Path.Combine(Path.GetDirectoryName(encoder)!, "vocab.bpe"));
        Tokenizer codeGen = CodeGenTokenizer.Create(vocab, merges);
        Tokenizer tiktoken = TiktokenTokenizer.CreateForModel("gpt2");
        var astralContraction = new System.Text.RegularExpressions.Regex("[\\uDC00-\\uDFFF]'(?:s|t|re|ve|m|ll|d)");
        var whitespaceRun = new System.Text.RegularExpressions.Regex("[ \\t]{2,}");
        var strings = ParityTests.Corpus.Value;
        int tiktokenEqual = 0, codeGenEqual = 0;
        var unexplained = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            var ours = Gpt2.Value.EncodeToIds(strings[i]);
            if (tiktoken.EncodeToIds(strings[i]).SequenceEqual(ours))
            {
                tiktokenEqual++;
            }
            else if (!astralContraction.IsMatch(strings[i]))
            {
                unexplained.Add($"Tiktoken #{i} {JsonSerializer.Serialize(strings[i])}");
            }

            if (codeGen.EncodeToIds(strings[i]).SequenceEqual(ours))
            {
                codeGenEqual++;
            }
            else if (!whitespaceRun.IsMatch(strings[i]) && !astralContraction.IsMatch(strings[i]))
            {
                unexplained.Add($"CodeGen #{i} {JsonSerializer.Serialize(strings[i])}");
            }
        }

        Assert.IsEmpty(unexplained, string.Join("\n", unexplained.Take(10)));
        Assert.AreEqual(373, tiktokenEqual, "strings where ML.NET's Tiktoken (gpt2) gives Hugging Face's ids");
        Assert.AreEqual(233, codeGenEqual, "strings where ML.NET's CodeGen tokenizer gives Hugging Face's ids");
    }

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("qwen3")]
    public void EncodeToTokens_ParityCorpus_OffsetsTileTheTextAndSpellTheTokens(string name)
    {
        var tokenizer = ByName(name);
        foreach (string s in ParityTests.Corpus.Value)
        {
            var tokens = tokenizer.EncodeToTokens(s, out string? normalized);
            string text = normalized ?? s;
            Assert.IsTrue(tokens.Select(t => t.Id).SequenceEqual(tokenizer.Bpe.EncodeToIds(s)), JsonSerializer.Serialize(s));
            int position = 0;
            var builder = new System.Text.StringBuilder();
            foreach (var token in tokens)
            {
                var (offset, length) = token.Offset.GetOffsetAndLength(text.Length);
                Assert.AreEqual(position, offset, $"{JsonSerializer.Serialize(s)}: token {token.Id} starts at {offset}, expected {position}");
                builder.Append(text, offset, length);
                position = offset + length;
            }

            Assert.AreEqual(text, builder.ToString(), "the ranges tile the text");
            bool changes = name == "qwen3" && tokenizer.Decode(tokens.Select(t => t.Id)) != s; // NFC (GPT-2 never normalizes)
            Assert.AreEqual(changes, normalized is not null, JsonSerializer.Serialize(s));
        }
    }

    [TestMethod]
    public void EncodeToIds_MaxTokenCount_PrefixNeverCutsACharacter()
    {
        // "😀" is 4 bytes; GPT-2 spells it with several byte tokens, so a budget inside it must stop before it.
        const string text = "ab 😀😀 cd";
        var tokenizer = Gpt2.Value;
        var all = tokenizer.EncodeToIds(text);
        for (int max = 1; max <= all.Count; max++)
        {
            var ids = tokenizer.EncodeToIds(text, max, out string? normalized, out int consumed);
            Assert.IsNull(normalized);
            Assert.IsLessThanOrEqualTo(max, ids.Count);
            Assert.IsTrue(ids.SequenceEqual(all.Take(ids.Count)), $"max {max}: a prefix of the full encoding");
            Assert.AreEqual(text[..consumed], tokenizer.Decode(ids), $"max {max}: the ids spell exactly the consumed characters");
            Assert.AreEqual(ids.Count, tokenizer.CountTokens(text[..consumed]), $"max {max}");
        }

        for (int max = 1; max <= all.Count; max++)
        {
            int index = tokenizer.GetIndexByTokenCountFromEnd(text, max, out _, out int fromEnd);
            Assert.IsLessThanOrEqualTo(max, fromEnd);
            Assert.AreEqual(text[index..], tokenizer.Decode(all.Skip(all.Count - fromEnd)), $"max {max}: the last ids spell the suffix");
        }

        Assert.AreEqual(" cd", text[tokenizer.GetIndexByTokenCountFromEnd(text, 2, out _, out _)..], "a budget that ends inside 😀 keeps only ' cd'");
    }

    [TestMethod]
    public void Decode_SmallBuffer_StopsAtWholeTokensAndReportsProgress()
    {
        var tokenizer = Qwen3.Value;
        const string text = "Hello <|im_end|> wörld";
        var ids = tokenizer.EncodeToIds(text);
        Assert.AreEqual(text, tokenizer.Decode(ids));
        Span<char> buffer = stackalloc char[8];
        var status = tokenizer.Decode(ids, buffer, out int consumed, out int written);
        Assert.AreEqual(OperationStatus.DestinationTooSmall, status);
        Assert.AreEqual(tokenizer.Decode(ids.Take(consumed)), buffer[..written].ToString());
        Span<char> big = stackalloc char[64];
        Assert.AreEqual(OperationStatus.Done, tokenizer.Decode(ids, big, out consumed, out written));
        Assert.AreEqual(ids.Count, consumed);
        Assert.AreEqual(text, big[..written].ToString());
    }

    [TestMethod]
    public void FromFile_MissingFolder_ThrowsFileNotFoundWithHint()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => HuggingFaceTokenizer.FromFile(Path.Combine(Path.GetTempPath(), "no-such-tokenizer-" + Guid.NewGuid())));
        StringAssert.Contains(e.Message, "tokenizer.json");
    }

    [TestMethod]
    public void SourceFiles_TokenizerJsonFolder_ListsTheJsonAndItsConfig()
    {
        CollectionAssert.AreEqual(new[] { "tokenizer.json", "tokenizer_config.json" }, Qwen3.Value.SourceFiles.Select(Path.GetFileName).ToArray());
        CollectionAssert.AreEqual(new[] { "encoder.json", "vocab.bpe" }, Gpt2.Value.SourceFiles.Select(Path.GetFileName).ToArray());
    }
}
