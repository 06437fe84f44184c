// `maskedsft inspect`: text, json and html views of an episode, trained tokens told apart.
using System.Text;
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Data;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class InspectCommandTests
{
    private static string Prepare(TempDirectory temp)
    {
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input,
        [
            """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say <b>hi</b> & \u00e9mojis"}, {"role": "assistant", "content": "Hi \ud83d\udc4b\ud83c\udffd & caf\u00e9!"}]}""",
        ]);
        string output = temp.Combine("sft");
        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", TestTokenizers.Dir("qwen3", "tokenizer.json"), "--out", output);
        Assert.AreEqual(0, exit, stderr);
        return output;
    }

    [TestMethod]
    public void Inspect_Json_ArrayOfIdTextTrainedInTokenOrder()
    {
        using var temp = new TempDirectory();
        string data = Prepare(temp);

        var (exit, stdout, stderr) = CliRunner.Run("inspect", "--data", data, "--episode", "0", "--format", "json");

        Assert.AreEqual(0, exit, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var tokens = doc.RootElement.EnumerateArray().ToList();
        using var dataset = EpisodeDataset.Open(data);
        int[] ids = dataset.GetEpisodeTokens(0);
        byte[] mask = dataset.GetEpisodeMask(0);
        Assert.HasCount(ids.Length, tokens);
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.AreEqual(ids[i], tokens[i].GetProperty("id").GetInt32());
            Assert.AreEqual(mask[i] == 1, tokens[i].GetProperty("trained").GetBoolean());
            if (!tokens[i].TryGetProperty("partial", out _))
            {
                Assert.AreEqual(TestTokenizers.Qwen3.Decode([ids[i]]), tokens[i].GetProperty("text").GetString());
            }
        }

        Assert.AreEqual(TestTokenizers.Qwen3.Decode(ids), string.Concat(tokens.Select(t => t.GetProperty("text").GetString())));

        string trained = string.Concat(tokens.Where(t => t.GetProperty("trained").GetBoolean()).Select(t => t.GetProperty("text").GetString()));
        StringAssert.StartsWith(trained, "Hi ");
        StringAssert.EndsWith(trained, " & caf\u00e9!<|im_end|>");
    }

    /// <summary>An episode of GPT-2 byte-level tokens over emoji and CJK text; <paramref name="cut"/> drops that many tokens
    /// from the end (to end the episode inside a character).</summary>
    private static (string Data, int[] Ids) Gpt2Episode(TempDirectory temp, string text, int cut = 0)
    {
        int[] ids = TestTokenizers.Gpt2.EncodeToIds(text);
        ids = ids[..(ids.Length - cut)];
        byte[] mask = [.. ids.Select((_, i) => (byte)(i % 2))];
        string data = temp.Combine("gpt2-data");
        using (var writer = new EpisodeDatasetWriter(data, new EpisodeDatasetWriterOptions { VocabSize = TestTokenizers.Gpt2.VocabularySize, Overwrite = true }))
        {
            writer.AppendEpisode(ids, mask);
            writer.Complete();
        }

        return (data, ids);
    }

    private static List<JsonElement> InspectJson(string data)
    {
        var (exit, stdout, stderr) = CliRunner.Run("inspect", "--data", data, "--episode", "0", "--format", "json", "--tokenizer", TestTokenizers.Dir("gpt2", "encoder.json"));
        Assert.AreEqual(0, exit, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.Clone().EnumerateArray()];
    }

    [TestMethod]
    public void Inspect_Json_Gpt2SplitCharacters_ShowBytesAndConcatenateWithoutReplacementCharacter()
    {
        using var temp = new TempDirectory();
        const string text = "smile \U0001F600 and \u4e16\u754c, caf\u00e9 \U0001F44B\U0001F3FD!";
        var (data, ids) = Gpt2Episode(temp, text);

        var tokens = InspectJson(data);

        Assert.HasCount(ids.Length, tokens);
        string joined = string.Concat(tokens.Select(t => t.GetProperty("text").GetString()));
        Assert.AreEqual(text, joined);
        Assert.IsFalse(joined.Contains('\uFFFD', StringComparison.Ordinal));
        var partial = tokens.Where(t => t.TryGetProperty("partial", out var p) && p.GetBoolean()).ToList();
        Assert.IsNotEmpty(partial, "GPT-2 splits the emoji and CJK characters over several tokens");
        Assert.IsFalse(tokens.Any(t => t.TryGetProperty("invalid_utf8", out _)));
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.AreEqual(ids[i], tokens[i].GetProperty("id").GetInt32());
            Assert.AreEqual(i % 2 == 1, tokens[i].GetProperty("trained").GetBoolean());
            if (tokens[i].TryGetProperty("bytes", out var hex))
            {
                CollectionAssert.AreEqual(TestTokenizers.Gpt2.TokenToBytes(ids[i]), Convert.FromHexString(hex.GetString()!));
            }
            else
            {
                Assert.IsFalse(TestTokenizers.Gpt2.Decode([ids[i]]).Contains('\uFFFD', StringComparison.Ordinal), $"token {i} decodes whole");
            }
        }

        // The bytes of every piece's tokens, in order, are the UTF-8 of the piece's text on its first token.
        foreach (var first in partial.Where(t => t.GetProperty("text").GetString()!.Length > 0))
        {
            int start = first.GetProperty("piece_start").GetInt32();
            int count = first.GetProperty("piece_tokens").GetInt32();
            byte[] bytes = [.. tokens.Skip(start).Take(count).SelectMany(t => Convert.FromHexString(t.GetProperty("bytes").GetString()!))];
            Assert.AreEqual(first.GetProperty("text").GetString(), Encoding.UTF8.GetString(bytes));
            Assert.IsTrue(tokens.Skip(start + 1).Take(count - 1).All(t => t.GetProperty("text").GetString() == string.Empty));
        }

        StringAssert.Contains(text, "\U0001F600");
        Assert.IsTrue(partial.Any(t => t.GetProperty("text").GetString()!.Contains("\U0001F600", StringComparison.Ordinal)));
        Assert.IsTrue(partial.Any(t => t.GetProperty("text").GetString()!.Contains('\u4e16', StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Inspect_Json_EpisodeCutInsideACharacter_FlagsInvalidUtf8WithBytes()
    {
        using var temp = new TempDirectory();
        int[] full = TestTokenizers.Gpt2.EncodeToIds("ok \U0001F600");
        int lastWhole = full.Length - 1;
        while (TestTokenizers.Gpt2.TokenToBytes(full[lastWhole]).Length > 0 && (TestTokenizers.Gpt2.TokenToBytes(full[lastWhole])[0] & 0xC0) == 0x80) lastWhole--;
        Assert.IsLessThan(full.Length - 1, lastWhole, "the emoji spans several GPT-2 tokens");
        var (data, ids) = Gpt2Episode(temp, "ok \U0001F600", cut: full.Length - 1 - lastWhole);

        var tokens = InspectJson(data);

        var last = tokens[^1];
        Assert.IsTrue(last.GetProperty("invalid_utf8").GetBoolean());
        Assert.IsTrue(last.GetProperty("partial").GetBoolean());
        CollectionAssert.AreEqual(TestTokenizers.Gpt2.TokenToBytes(ids[^1]), Convert.FromHexString(last.GetProperty("bytes").GetString()!));
        Assert.IsTrue(tokens.Take(tokens.Count - 1).All(t => !t.TryGetProperty("invalid_utf8", out _)));
    }

    [TestMethod]
    public void Inspect_Text_BracketsTrainedRunsWhenNotATerminal()
    {
        using var temp = new TempDirectory();
        string data = Prepare(temp);

        var (exit, stdout, stderr) = CliRunner.Run("inspect", "--data", data, "--episode", "0");

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "[[Hi \U0001F44B\U0001F3FD & caf\u00e9!<|im_end|>]]");
        StringAssert.Contains(stdout, "<|im_start|>user\nSay <b>hi</b> & \u00e9mojis<|im_end|>");
        string body = stdout[(stdout.IndexOf("-----", StringComparison.Ordinal) + 60)..];
        Assert.AreEqual(1, body.Split("[[").Length - 1, "exactly one trained run");
        StringAssert.Contains(stdout, "episode 0 (key 0x");
        Assert.IsFalse(stdout.Contains('\u001b', StringComparison.Ordinal), "no colour codes when not on a terminal");
    }

    [TestMethod]
    public void Inspect_Html_ColouredSpansWithEscapedText()
    {
        using var temp = new TempDirectory();
        string data = Prepare(temp);

        var (exit, stdout, stderr) = CliRunner.Run("inspect", "--data", data, "--episode", "0", "--format", "html");

        Assert.AreEqual(0, exit, stderr);
        StringAssert.StartsWith(stdout, "<!DOCTYPE html>");
        StringAssert.Contains(stdout, "<span class=\"t\"");
        StringAssert.Contains(stdout, "<span class=\"m\"");
        StringAssert.Contains(stdout, "&lt;|im_end|&gt;");
        Assert.IsFalse(stdout.Contains("<b>hi</b>", StringComparison.Ordinal), "content is escaped");
        StringAssert.Contains(stdout, "\U0001F44B", "a character spread over several tokens is shown whole");
    }

    [TestMethod]
    public void Inspect_EpisodeOutOfRange_ExitsWithCount()
    {
        using var temp = new TempDirectory();
        string data = Prepare(temp);

        var (exit, _, stderr) = CliRunner.Run("inspect", "--data", data, "--episode", "5");

        Assert.AreEqual(2, exit);
        StringAssert.Contains(stderr, "has 1 episodes");
    }

    [TestMethod]
    public void Inspect_NotADataset_ExitsWithReason()
    {
        using var temp = new TempDirectory();
        var (exit, _, stderr) = CliRunner.Run("inspect", "--data", temp.Combine("missing"), "--episode", "0");
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "error:");
    }
}
