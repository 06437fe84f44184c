// Every id of the C# tokenizer equals Hugging Face `tokenizers` on the parity corpus; decoding round-trips.
using System.Security.Cryptography;
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class ParityTests
{
    /// <summary>The strings of parity_corpus.json.</summary>
    internal static readonly Lazy<string[]> Corpus = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("parity_corpus.json")));
        return [.. doc.RootElement.GetProperty("strings").EnumerateArray().Select(e => e.GetString()!)];
    });

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void EncodeToIds_ParityCorpus_EqualsHuggingFaceIds(string name)
    {
        var (expected, _) = Reference(name);
        var tokenizer = TestTokenizers.ByName(name);
        var strings = Corpus.Value;
        var failures = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            int[] actual = tokenizer.EncodeToIds(strings[i]);
            if (!actual.SequenceEqual(expected[i]))
            {
                failures.Add($"#{i} {JsonSerializer.Serialize(Shorten(strings[i]))}: expected [{string.Join(",", expected[i].Take(40))}] got [{string.Join(",", actual.Take(40))}]");
            }
        }

        Assert.IsEmpty(failures, $"{failures.Count} of {strings.Length} strings differ from Hugging Face for {name}:\n" + string.Join("\n", failures.Take(15)));
    }

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void PreTokenize_ParityCorpus_EqualsHuggingFaceSplits(string name)
    {
        var expected = ReferenceField(name, "piece_bytes");
        var tokenizer = TestTokenizers.ByName(name);
        var strings = Corpus.Value;
        var failures = new List<string>();
        for (int i = 0; i < strings.Length; i++)
        {
            var actual = tokenizer.PreTokenByteLengths(strings[i]);
            if (!actual.SequenceEqual(expected[i]))
            {
                failures.Add($"#{i} {JsonSerializer.Serialize(Shorten(strings[i]))}: expected [{string.Join(",", expected[i].Take(40))}] got [{string.Join(",", actual.Take(40))}]");
            }
        }

        Assert.IsEmpty(failures, $"{failures.Count} of {strings.Length} strings split differently from Hugging Face's pre-tokenizer for {name}:\n" + string.Join("\n", failures.Take(15)));
    }

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void CountTokens_ParityCorpus_EqualsReferenceLength(string name)
    {
        var (expected, _) = Reference(name);
        var tokenizer = TestTokenizers.ByName(name);
        var strings = Corpus.Value;
        for (int i = 0; i < strings.Length; i++)
        {
            Assert.AreEqual(expected[i].Length, tokenizer.CountTokens(strings[i]), $"string #{i}");
        }
    }

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void Decode_ReferenceIds_EqualsHuggingFaceDecode(string name)
    {
        var (ids, decoded) = Reference(name);
        var tokenizer = TestTokenizers.ByName(name);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.AreEqual(decoded[i], tokenizer.Decode(ids[i]), $"string #{i}");
        }
    }

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("llama3")]
    public void Decode_EncodedCorpus_RoundTripsExactly(string name)
    {
        var tokenizer = TestTokenizers.ByName(name);
        foreach (string s in Corpus.Value)
        {
            Assert.AreEqual(s, tokenizer.Decode(tokenizer.EncodeToIds(s)), JsonSerializer.Serialize(Shorten(s)));
        }
    }

    [TestMethod]
    public void Decode_EncodedCorpusQwen3_RoundTripsToNfc()
    {
        // Qwen3's tokenizer.json normalizes to NFC, so the round trip gives the NFC form; for NFC input that is the input.
        var tokenizer = TestTokenizers.Qwen3;
        int alreadyNfc = 0;
        foreach (string s in Corpus.Value)
        {
            string nfc = UnicodeNfc.Normalize(s);
            Assert.AreEqual(nfc, tokenizer.Decode(tokenizer.EncodeToIds(s)), JsonSerializer.Serialize(Shorten(s)));
            alreadyNfc += nfc == s ? 1 : 0;
        }

        Assert.IsGreaterThan(Corpus.Value.Length / 2, alreadyNfc, "most of the corpus is NFC text, which must round-trip unchanged");
    }

    private static (int[][] Ids, string[] Decoded) Reference(string name)
    {
        int[][] ids = ReferenceField(name, "ids");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("parity_ids.json")));
        string[] decoded = [.. doc.RootElement.GetProperty("tokenizers").GetProperty(name).GetProperty("decoded").EnumerateArray().Select(x => x.GetString()!)];
        return (ids, decoded);
    }

    /// <summary>A per-string field of parity_ids.json (ids, piece_bytes) for one tokenizer, checked against the corpus hash.</summary>
    internal static int[][] ReferenceField(string name, string field)
    {
        string path = TestTokenizers.Fixture("parity_ids.json");
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: generate it with Hugging Face `tokenizers` by running "
                + "`python3 scripts/reference/tokenizer_parity_reference.py` from the repository root (after `bash scripts/setup.sh`), "
                + "then commit test/MaskedSft.MLNet.Tests/Fixtures/Tokenizers/parity_ids.json.");
        }

        byte[] corpus = File.ReadAllBytes(TestTokenizers.Fixture("parity_corpus.json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        string hash = Convert.ToHexStringLower(SHA256.HashData(corpus));
        Assert.AreEqual(hash, doc.RootElement.GetProperty("corpus_sha256").GetString(),
            "parity_ids.json was made from another parity_corpus.json: run scripts/reference/tokenizer_parity_reference.py again.");
        if (!doc.RootElement.GetProperty("tokenizers").TryGetProperty(name, out var entry))
        {
            Assert.Fail($"parity_ids.json has no ids for {name} ({doc.RootElement.GetProperty("generator").GetString()}); "
                + $"put the {name} files into .cache/tokenizers/{name} (bash scripts/setup.sh) and run the reference script again.");
        }

        int[][] values = [.. entry.GetProperty(field).EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray())];
        Assert.HasCount(Corpus.Value.Length, values);
        return values;
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
