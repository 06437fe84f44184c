// `maskedsft inspect`: text, json and html views of an episode, trained tokens told apart.
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
            Assert.AreEqual(TestTokenizers.Qwen3.Decode([ids[i]]), tokens[i].GetProperty("text").GetString());
        }

        string trained = string.Concat(tokens.Where(t => t.GetProperty("trained").GetBoolean()).Select(t => t.GetProperty("text").GetString()));
        StringAssert.StartsWith(trained, "Hi ");
        StringAssert.EndsWith(trained, " & caf\u00e9!<|im_end|>");
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
