// Missing and corrupt tokenizer files give clear errors that name the file, the JSON path or line, and the fix.
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class TokenizerLoadingTests
{
    private static string _dir = string.Empty;

    [ClassInitialize]
    public static void CreateTempDir(TestContext context)
    {
        _dir = Path.Combine(Path.GetTempPath(), "maskedsft-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [ClassCleanup]
    public static void RemoveTempDir() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void Load_MissingFile_ThrowsFileNotFoundWithSetupHint()
    {
        string path = Path.Combine(_dir, "nowhere", "tokenizer.json");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BpeTokenizer.Load(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "scripts/setup.sh");
    }

    [TestMethod]
    public void Load_FolderWithoutTokenizerFiles_ThrowsFileNotFoundNamingBothLayouts()
    {
        string folder = Path.Combine(_dir, "empty-folder");
        Directory.CreateDirectory(folder);
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BpeTokenizer.Load(folder));
        StringAssert.Contains(e.Message, "tokenizer.json");
        StringAssert.Contains(e.Message, "encoder.json + vocab.bpe");
    }

    [TestMethod]
    public void Load_Gpt2WithoutVocabBpe_ThrowsFileNotFoundNamingIt()
    {
        string folder = Path.Combine(_dir, "gpt2-half");
        Directory.CreateDirectory(folder);
        File.Copy(TestTokenizers.Dir("gpt2", "encoder.json"), Path.Combine(folder, "encoder.json"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => BpeTokenizer.Load(folder));
        StringAssert.Contains(e.Message, "vocab.bpe");
    }

    [TestMethod]
    public void Load_TruncatedJson_ThrowsFormatErrorWithLine()
    {
        string path = Write("truncated.json", "{\n  \"model\": {\n    \"type\": \"BPE\",\n    \"vocab\": {\"a\": 0");
        var e = Assert.ThrowsExactly<TokenizerFormatException>(() => BpeTokenizer.Load(path));
        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, "not valid JSON");
        StringAssert.Contains(e.Message, "line 4");
        StringAssert.Contains(e.Message, "scripts/setup.sh");
    }

    [TestMethod]
    [DataRow("model", null, "$.model", "missing")]
    [DataRow("model.vocab", null, "$.model.vocab", "missing")]
    [DataRow("model.vocab", "[1, 2]", "$.model.vocab", "expected an object, found an array")]
    [DataRow("model.type", "\"Unigram\"", "$.model.type", "only byte-level 'BPE'")]
    [DataRow("model.merges", "[\"\u0120 \u0120\", 5]", "$.model.merges[1]", "a merge must be")]
    [DataRow("model.merges", "[\"\u0120 zzzunknown\"]", "$.model.merges[0]", "not in the vocabulary")]
    [DataRow("normalizer", "{\"type\": \"Lowercase\"}", "$.normalizer", "not supported")]
    [DataRow("pre_tokenizer", "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\w+\"}, \"behavior\": \"Isolated\", \"invert\": false}, {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}", "$.pre_tokenizer.pretokenizers[0].pattern", "not one of the supported")]
    [DataRow("added_tokens", "[{\"id\": \"x\", \"content\": \"<a>\"}]", "$.added_tokens[0].id", "expected a number, found a string")]
    [DataRow("model.byte_fallback", "true", "$.model.byte_fallback", "not supported")]
    public void Load_CorruptQwenJson_ThrowsFormatErrorNamingJsonPath(string field, string? replacement, string expectedPath, string expectedText)
    {
        var root = JsonNode.Parse(File.ReadAllText(TestTokenizers.Dir("qwen3", "tokenizer.json")))!.AsObject();
        string[] parts = field.Split('.');
        var parent = root;
        foreach (string part in parts[..^1])
        {
            parent = parent[part]!.AsObject();
        }

        if (replacement is null)
        {
            parent.Remove(parts[^1]);
        }
        else
        {
            parent[parts[^1]] = JsonNode.Parse(replacement);
        }

        string path = Write($"corrupt-{Guid.NewGuid():N}.json", root.ToJsonString());
        var e = Assert.ThrowsExactly<TokenizerFormatException>(() => BpeTokenizer.FromTokenizerJson(path));
        Assert.AreEqual(expectedPath, e.Location, e.Message);
        StringAssert.Contains(e.Message, expectedText);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "scripts/setup.sh");
    }

    [TestMethod]
    public void Load_Gpt2BadMergeLine_ThrowsFormatErrorWithLine()
    {
        string folder = Path.Combine(_dir, "gpt2-bad");
        Directory.CreateDirectory(folder);
        File.Copy(TestTokenizers.Dir("gpt2", "encoder.json"), Path.Combine(folder, "encoder.json"));
        var lines = File.ReadAllLines(TestTokenizers.Dir("gpt2", "vocab.bpe")).Take(10).ToList();
        lines[5] = "three parts here";
        File.WriteAllLines(Path.Combine(folder, "vocab.bpe"), lines);
        var e = Assert.ThrowsExactly<TokenizerFormatException>(() => BpeTokenizer.Load(folder));
        Assert.AreEqual("line 6", e.Location);
        StringAssert.Contains(e.Message, "vocab.bpe");
    }

    [TestMethod]
    public void Load_Qwen3_ReadsSpecialTokensAndSizes()
    {
        var tokenizer = TestTokenizers.Qwen3;
        Assert.AreEqual("qwen3", tokenizer.Name);
        Assert.AreEqual(SplitPattern.Qwen2, tokenizer.Pattern);
        Assert.AreEqual(151669, tokenizer.VocabularySize);
        Assert.AreEqual(151645, tokenizer.EndOfSequenceId);
        Assert.AreEqual(151643, tokenizer.PaddingId);
        Assert.IsNull(tokenizer.BeginOfSequenceId);
        Assert.AreEqual(151644, tokenizer.TokenToId("<|im_start|>"));
        Assert.IsTrue(tokenizer.IsSpecialToken(151645));
        Assert.IsFalse(tokenizer.IsSpecialToken(151667), "<think> is an added token but not special");
        StringAssert.StartsWith(tokenizer.Fingerprint, "sha256:");
    }

    [TestMethod]
    public void Load_Gpt2Files_EndOfTextIsSpecialEos()
    {
        var tokenizer = TestTokenizers.Gpt2;
        Assert.AreEqual(SplitPattern.Gpt2, tokenizer.Pattern);
        Assert.AreEqual(50257, tokenizer.VocabularySize);
        Assert.AreEqual(50256, tokenizer.EndOfSequenceId);
        Assert.AreEqual(50256, tokenizer.BeginOfSequenceId);
        Assert.IsTrue(tokenizer.IsSpecialToken(50256));
        Assert.AreEqual("\u0120world", tokenizer.IdToToken(tokenizer.TokenToId("\u0120world")!.Value));
    }

    [TestMethod]
    public void Load_Llama3_UsesDigitTriplesAndReadsBos()
    {
        var tokenizer = TestTokenizers.Llama3;
        Assert.AreEqual(SplitPattern.Llama3, tokenizer.Pattern);
        Assert.AreEqual(128000, tokenizer.BeginOfSequenceId);
        Assert.AreEqual(128001, tokenizer.EndOfSequenceId);
        Assert.AreEqual(128009, tokenizer.TokenToId("<|eot_id|>"));
    }

    private static string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
