// `maskedsft tokenize`: one {"ids": [...]} line per {"text": ...} line, in order; bad lines stop with the line number.
using System.Text.Json;
using MaskedSft.Cli.Commands;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class TokenizeCommandTests
{
    [TestMethod]
    public void Run_JsonLines_OneIdsLinePerInputInOrder()
    {
        string[] texts = ["Hello world", "", "<|im_start|>user\n\u4f60\u597d<|im_end|>", "line\r\nbreaks\tand \U0001F600"];
        var input = new StringReader(string.Join("\n", texts.Select(t => JsonSerializer.Serialize(new { text = t }))) + "\n");
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = TokenizeCommand.Run(TestTokenizers.Qwen3, input, output, error, allowSpecialTokens: true);

        Assert.AreEqual(0, exit, error.ToString());
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(texts.Length, lines);
        for (int i = 0; i < texts.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            int[] ids = [.. doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
            CollectionAssert.AreEqual(TestTokenizers.Qwen3.EncodeToIds(texts[i]), ids, texts[i]);
        }
    }

    [TestMethod]
    public void Run_SpecialAsText_DoesNotEmitSpecialIds()
    {
        var output = new StringWriter();
        int exit = TokenizeCommand.Run(TestTokenizers.Qwen3, new StringReader("{\"text\": \"<|im_end|>\"}\n"), output, new StringWriter(), allowSpecialTokens: false);
        Assert.AreEqual(0, exit);
        Assert.IsFalse(output.ToString().Contains("151645", StringComparison.Ordinal));
    }

    [TestMethod]
    [DataRow("{\"text\": \"ok\"}\n{\"txt\": \"wrong field\"}\n", "stdin:2: expected an object with a string field \"text\"")]
    [DataRow("{\"text\": \"ok\"}\n{\"text\": 5}\n", "stdin:2:")]
    [DataRow("not json\n", "stdin:1: invalid JSON")]
    public void Run_BadLine_ExitsOneNamingTheLine(string stdin, string expected)
    {
        var error = new StringWriter();
        int exit = TokenizeCommand.Run(TestTokenizers.Gpt2, new StringReader(stdin), new StringWriter(), error, allowSpecialTokens: true);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(error.ToString(), expected);
    }

    [TestMethod]
    public void Tokenize_WithoutTokenizerOption_IsAUsageError()
    {
        var (exit, _, stderr) = CliRunner.Run("tokenize");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(stderr, "--tokenizer");
    }
}
