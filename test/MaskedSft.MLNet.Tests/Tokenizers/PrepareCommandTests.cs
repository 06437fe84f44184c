// `maskedsft prepare`: chat and Atropos JSONL to an episode dataset; bad lines stop with FILE:LINE or are skipped; no
// dataset is left behind by a failed run.
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class PrepareCommandTests
{
    private static readonly string[][] Chats =
    [
        ["system", "You are terse.", "user", "2+2?", "assistant", "4"],
        ["user", "Translate 'cat' to French.", "assistant", "chat", "user", "And dog?", "assistant", "chien"],
        ["user", "Weather?", "assistant", "<tool_call>\n{\"name\": \"w\"}\n</tool_call>", "tool", "{\"c\": 21}", "assistant", "21 \u00b0C \u2600\uFE0F"],
        ["system", "Be kind.", "user", "\u4f60\u597d", "assistant", "\u4f60\u597d\uff01\u6709\u4ec0\u4e48\u53ef\u4ee5\u5e2e\u5fd9\u7684\u5417\uff1f"],
    ];

    private static string ChatLine(string[] pairs) => JsonSerializer.Serialize(new
    {
        messages = Enumerable.Range(0, pairs.Length / 2).Select(i => new { role = pairs[2 * i], content = pairs[(2 * i) + 1] }).ToArray(),
    });

    private static string Qwen => TestTokenizers.Dir("qwen3", "tokenizer.json");

    [TestMethod]
    public void Prepare_ChatLines_WritesEpisodesWhoseTrainedTokensAreAssistantTurns()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Chats.Select(ChatLine));
        string output = temp.Combine("sft");

        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--template", "chatml",
            "--max-length", "4096", "--val-fraction", "0", "--seed", "7", "--out", output);

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "episodes      4 (train 4, validation 0; chat 4, atropos 0)");
        StringAssert.Contains(stderr, "100.0%");
        var tokenizer = TestTokenizers.Qwen3;
        using var dataset = EpisodeDataset.Open(output);
        Assert.AreEqual(4, dataset.EpisodeCount);
        Assert.AreEqual(tokenizer.VocabularySize, dataset.VocabSize);
        Assert.AreEqual(tokenizer.PaddingId, dataset.PadId);
        Assert.AreEqual(tokenizer.Fingerprint, dataset.Header.Tokenizer!.Fingerprint);
        for (int e = 0; e < Chats.Length; e++)
        {
            int[] ids = dataset.GetEpisodeTokens(e);
            byte[] mask = dataset.GetEpisodeMask(e);
            string trained = tokenizer.Decode([.. ids.Where((_, i) => mask[i] == 1)]);
            string expected = string.Concat(Enumerable.Range(0, Chats[e].Length / 2)
                .Where(i => Chats[e][2 * i] == "assistant").Select(i => Chats[e][(2 * i) + 1] + "<|im_end|>"));
            Assert.AreEqual(expected, trained, $"episode {e}");
            var messages = Enumerable.Range(0, Chats[e].Length / 2).Select(i => new ChatMessage(Chats[e][2 * i], Chats[e][(2 * i) + 1])).ToList();
            CollectionAssert.AreEqual(ChatTemplate.ChatMl.Render(messages, tokenizer).Ids, ids);
        }
    }

    [TestMethod]
    public void PrepareThenTrain_HardExamplesAreDecodedWithTheDatasetsTokenizer()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Chats.Select(ChatLine));
        string data = temp.Combine("sft");
        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--val-fraction", "0", "--out", data);
        Assert.AreEqual(0, exit, stderr);

        string run = temp.Combine("run");
        string stdout;
        (exit, stdout, stderr) = CliRunner.Run("train", "--data", data, "--steps", "2", "--batch-size", "4", "--warmup", "0", "--out", run,
            "--hard-example-log-interval", "1", "--eval-interval", "0", "--device", "cpu");
        Assert.AreEqual(0, exit, stderr + stdout);
        Assert.IsFalse(stdout.Contains("show token ids", StringComparison.Ordinal), stdout);
        var assistantTexts = Chats.Select(chat => string.Concat(Enumerable.Range(0, chat.Length / 2)
            .Where(i => chat[2 * i] == "assistant").Select(i => chat[(2 * i) + 1] + "<|im_end|>"))).ToHashSet();
        var snapshots = File.ReadAllLines(Path.Combine(run, "hard_examples.jsonl")).Select(MaskedSft.MLNet.HardExamples.HardExampleJson.DeserializePayload).ToArray();
        Assert.AreEqual(2, snapshots.Length);
        Assert.IsTrue(snapshots[^1].Entries.Count > 0);
        foreach (var entry in snapshots[^1].Entries)
        {
            Assert.IsTrue(assistantTexts.Contains(entry.Text), $"hard example text '{entry.Text}' is not an episode's decoded assistant turns");
        }
    }

    [TestMethod]
    public void Prepare_ValidationFraction_SplitsDeterministicallyBySeed()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Enumerable.Range(0, 60).Select(i => ChatLine(["user", $"question {i}", "assistant", $"answer {i}"])));
        var splits = new List<string>();
        foreach (string name in new[] { "a", "b", "c" })
        {
            string seed = name == "c" ? "99" : "5";
            var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", temp.Combine(name),
                "--val-fraction", "0.5", "--seed", seed);
            Assert.AreEqual(0, exit, stderr);
            using var dataset = EpisodeDataset.Open(temp.Combine(name));
            splits.Add(string.Concat(Enumerable.Range(0, dataset.EpisodeCount).Select(i => dataset.GetEpisode(i).Split == DatasetSplit.Train ? 't' : 'v')));
        }

        Assert.AreEqual(splits[0], splits[1], "same seed, same split");
        Assert.AreNotEqual(splits[0], splits[2], "another seed, another split");
        int validation = splits[0].Count(c => c == 'v');
        Assert.IsTrue(validation is > 15 and < 45, $"about half of 60 in validation, got {validation}");
    }

    [TestMethod]
    public void Prepare_AtroposLines_OneEpisodePerSequenceWithScoreAndGroup()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("atropos.jsonl");
        File.WriteAllLines(input,
        [
            """{"tokens": [[10, 11, 12, 13], [10, 11, 20, 21, 22]], "masks": [[-100, -100, 12, 13], [-100, -100, 20, 21, 22]], "scores": [1.0, -0.5]}""",
            """{"tokens": [[5, 6, 7]], "masks": [[-100, 6, -100]], "scores": [0.25], "group_id": 42, "advantages": null, "messages": [[{"role": "user", "content": "x"}]]}""",
            ChatLine(["user", "hi", "assistant", "hello"]),
        ]);
        string output = temp.Combine("rl");

        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output);

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "chat 1, atropos 3");
        StringAssert.Contains(stdout, "advantages    no", "\"advantages\": null is no advantage");
        using var dataset = EpisodeDataset.Open(output);
        Assert.AreEqual(4, dataset.EpisodeCount);
        CollectionAssert.AreEqual(new[] { 10, 11, 20, 21, 22 }, dataset.GetEpisodeTokens(1));
        CollectionAssert.AreEqual(new byte[] { 0, 0, 1, 1, 1 }, dataset.GetEpisodeMask(1));
        Assert.AreEqual(-0.5, dataset.GetEpisode(1).Score);
        Assert.AreEqual(1L, dataset.GetEpisode(0).GroupId, "without group_id the line number is the group");
        Assert.AreEqual(1L, dataset.GetEpisode(1).GroupId);
        Assert.AreEqual(42L, dataset.GetEpisode(2).GroupId);
        CollectionAssert.AreEqual(new byte[] { 0, 1, 0 }, dataset.GetEpisodeMask(2));
        Assert.IsNull(dataset.GetEpisode(3).Score);
    }

    [TestMethod]
    public void Prepare_AtroposAdvantages_WritesPerTokenWeightsAndOneForOtherEpisodes()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("weighted.jsonl");
        File.WriteAllLines(input,
        [
            """{"tokens": [[10, 11, 12], [10, 13]], "masks": [[-100, 11, 12], [-100, 13]], "scores": [1, 0], "advantages": [[0.0, 0.5, -1.25], 2.0]}""",
            """{"tokens": [[7, 8]], "masks": [[-100, 8]], "scores": [0.5]}""",
            ChatLine(["user", "hi", "assistant", "hello"]),
        ]);
        string output = temp.Combine("weighted");

        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output, "--max-length", "2");

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "advantages    yes");
        using var dataset = EpisodeDataset.Open(output);
        Assert.IsTrue(dataset.HasAdvantages);
        CollectionAssert.AreEqual(new[] { 0f, 0.5f }, dataset.GetEpisodeAdvantages(0), "truncated with the tokens");
        CollectionAssert.AreEqual(new[] { 2f, 2f }, dataset.GetEpisodeAdvantages(1), "one number per sequence is broadcast");
        CollectionAssert.AreEqual(new[] { 1f, 1f }, dataset.GetEpisodeAdvantages(2), "an Atropos line without advantages weighs 1");
    }

    [TestMethod]
    public void Prepare_AtroposAdvantagesOfWrongLength_StopsNamingTheSequence()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("bad.jsonl");
        File.WriteAllLines(input, ["""{"tokens": [[10, 11, 12]], "masks": [[-100, 11, 12]], "scores": [1], "advantages": [[0.5, 1.0]]}"""]);

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", temp.Combine("out"));

        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, $"{input}:1: invalid value: advantages[0] has 2 entries but tokens[0] has 3");
        Assert.IsFalse(Directory.Exists(temp.Combine("out")));
    }

    [TestMethod]
    [DataRow("""{"messages": [{"role": "narrator", "content": "x"}, {"role": "assistant", "content": "y"}]}""", "unknown role", "messages[0].role is 'narrator'")]
    [DataRow("""{"messages": [{"role": "user"}, {"role": "assistant", "content": "y"}]}""", "missing field", "messages[0] (user) has no \"content\"")]
    [DataRow("""{"messages": [{"role": "user", "content": null}]}""", "missing field", "has no \"content\"")]
    [DataRow("""{"messages": [{"role": "user", "content": "x"}, """, "invalid JSON", "byte")]
    [DataRow("""{"messages": [{"role": "user", "content": 42}]}""", "wrong type", "messages[0].content must be a string, found a number")]
    [DataRow("""{"messages": {"role": "user"}}""", "wrong type", "\"messages\" must be an array")]
    [DataRow("""["not", "an", "object"]""", "wrong type", "a line must be a JSON object, found an array")]
    [DataRow("""{"text": "no messages"}""", "missing field", "a line needs \"messages\"")]
    [DataRow("""{"tokens": [[1, 2]], "masks": [[-100, 3]], "scores": [1]}""", "invalid value", "masks[0][1] = 3")]
    [DataRow("""{"tokens": [[1, 999999999]], "masks": [[-100, 999999999]], "scores": [1]}""", "invalid value", "outside the tokenizer's vocabulary")]
    [DataRow("""{"tokens": [[1, "2"]], "masks": [[-100, 2]], "scores": [1]}""", "wrong type", "tokens[0][1] must be an integer")]
    [DataRow("""{"tokens": [[1, 2]], "masks": [[-100, 2]]}""", "missing field", "needs \"scores\"")]
    public void Prepare_BadLine_StopsWithFileLineReasonAndWritesNothing(string badLine, string kind, string reason)
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("bad.jsonl");
        File.WriteAllLines(input, [ChatLine(Chats[0]), ChatLine(Chats[1]), badLine, ChatLine(Chats[2])]);
        string output = temp.Combine("out");

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output);

        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, $"{input}:3: {kind}: ");
        StringAssert.Contains(stderr, reason);
        StringAssert.Contains(stderr, "--skip-bad");
        Assert.IsFalse(Directory.Exists(output), "an aborted run leaves no dataset");
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(output));
        CollectionAssert.AreEqual(new[] { "bad.jsonl" }, Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName).ToArray(),
            "no staging directory is left either");
    }

    [TestMethod]
    public void Prepare_SkipBad_ReportsAndSkipsEachBadLine()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("mixed.jsonl");
        File.WriteAllLines(input,
        [
            ChatLine(Chats[0]),
            """{"messages": [{"role": "narrator", "content": "x"}]}""",
            "{broken",
            "",
            """{"messages": [{"role": "user", "content": 1}]}""",
            ChatLine(Chats[1]),
        ]);
        string output = temp.Combine("out");

        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output, "--skip-bad");

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "skipped       3 bad lines");
        StringAssert.Contains(stdout, $"{input}:2: unknown role");
        StringAssert.Contains(stdout, $"{input}:3: invalid JSON");
        StringAssert.Contains(stdout, $"{input}:5: wrong type");
        using var dataset = EpisodeDataset.Open(output);
        Assert.AreEqual(2, dataset.EpisodeCount);
    }

    [TestMethod]
    public void Prepare_MaxLength_TruncatesAndDropsEpisodesWithoutSupervision()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("long.jsonl");
        string longAnswer = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"word{i}"));
        File.WriteAllLines(input,
        [
            ChatLine(["user", "short", "assistant", longAnswer]),
            ChatLine(["system", string.Join(' ', Enumerable.Range(0, 300).Select(i => $"rule{i}")), "user", "q", "assistant", "a"]),
            ChatLine(["user", "no answer here"]),
        ]);
        string output = temp.Combine("out");

        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output, "--max-length", "64");

        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, "truncated     2 episodes cut to 64 tokens");
        StringAssert.Contains(stdout, "dropped       2 episodes without a supervised token");
        using var dataset = EpisodeDataset.Open(output);
        Assert.AreEqual(1, dataset.EpisodeCount);
        Assert.AreEqual(64, dataset.GetEpisode(0).Length);
    }

    [TestMethod]
    public void Prepare_TemplateTokensMissing_FailsWithoutDataset()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Chats.Select(ChatLine));
        string output = temp.Combine("out");

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--template", "llama3", "--out", output);

        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "<|begin_of_text|>");
        Assert.IsFalse(Directory.Exists(output));
    }

    [TestMethod]
    public void Prepare_ExistingOutput_RefusesWithoutOverwrite()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Chats.Select(ChatLine));
        string output = temp.Combine("out");
        Assert.AreEqual(0, CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output).ExitCode);

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "already exists");
        Assert.AreEqual(0, CliRunner.Run("prepare", "--input", input, "--tokenizer", Qwen, "--out", output, "--overwrite", "--train-on", "last").ExitCode);
        using var dataset = EpisodeDataset.Open(output);
        byte[] mask = dataset.GetEpisodeMask(1);
        int[] ids = dataset.GetEpisodeTokens(1);
        Assert.AreEqual("chien<|im_end|>", TestTokenizers.Qwen3.Decode([.. ids.Where((_, i) => mask[i] == 1)]), "--train-on last");
    }

    [TestMethod]
    public void Prepare_MissingTokenizer_FailsWithSetupHint()
    {
        using var temp = new TempDirectory();
        string input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, Chats.Select(ChatLine));

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", temp.Combine("nope/tokenizer.json"), "--out", temp.Combine("out"));

        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "scripts/setup.sh");
    }
}
