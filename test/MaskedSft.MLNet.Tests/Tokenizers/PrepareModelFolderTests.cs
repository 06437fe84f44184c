// `maskedsft prepare --tokenizer MODEL_DIR`: the folder's tokenizer and recognised chat template; an unrecognised template
// stops with the file and the --template hint; --template overrides; reasoning_content and tool_calls lines.
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class PrepareModelFolderTests
{
    private static readonly object[][] Lines =
    [
        [new { role = "user", content = "Hi! What is 2+2?" }, new { role = "assistant", content = "2+2 = 4." }],
        [new { role = "system", content = "You are terse." }, new { role = "user", content = "And 3*3?" }, new { role = "assistant", content = "It is 9." }],
    ];

    private static string Write(TempDirectory temp, IEnumerable<string> lines)
    {
        var input = temp.Combine("chat.jsonl");
        File.WriteAllLines(input, lines);
        return input;
    }

    private static IEnumerable<string> ChatLines() => Lines.Select(l => JsonSerializer.Serialize(new { messages = l }));

    [TestMethod]
    [DataRow("qwen3", "qwen3")]
    [DataRow("qwen2", "qwen2.5")]
    [DataRow("llama-gqa-sharded", "llama3-instruct-always-header")]
    public void Prepare_ModelFolder_UsesItsTokenizerAndRecognisedTemplate(string folder, string templateName)
    {
        using var temp = new TempDirectory();
        var modelDir = HfModelFixtures.Folder(folder);
        var output = temp.Combine("sft");
        var (exit, stdout, stderr) = CliRunner.Run("prepare", "--input", Write(temp, ChatLines()), "--tokenizer", modelDir, "--val-fraction", "0", "--out", output);
        Assert.AreEqual(0, exit, stderr);
        StringAssert.Contains(stdout, $"template {templateName} (recognised in {Path.Combine(modelDir, "tokenizer_config.json")}");
        var model = ModelFolderTokenizer.Load(modelDir);
        using var dataset = EpisodeDataset.Open(output);
        Assert.AreEqual(model.Tokenizer.Fingerprint, dataset.Header.Tokenizer!.Fingerprint);
        for (int e = 0; e < Lines.Length; e++)
        {
            var messages = JsonNode.Parse(ChatLines().ElementAt(e))!["messages"]!.AsArray()
                .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["content"]!.GetValue<string>())).ToList();
            var expected = model.RequireChatTemplate().Render(messages, model.Tokenizer);
            CollectionAssert.AreEqual(expected.Ids, dataset.GetEpisodeTokens(e), $"episode {e}");
            CollectionAssert.AreEqual(expected.Mask, dataset.GetEpisodeMask(e), $"episode {e}");
        }
    }

    [TestMethod]
    public void Prepare_ModelFolderWithUnrecognisedTemplate_FailsNamingFileAndTemplateOption_TemplateOptionOverrides()
    {
        using var temp = new TempDirectory();
        var modelDir = temp.Combine("model");
        Directory.CreateDirectory(modelDir);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
        {
            File.Copy(Path.Combine(HfModelFixtures.Folder("qwen3"), file), Path.Combine(modelDir, file));
        }

        var config = Path.Combine(modelDir, "tokenizer_config.json");
        var node = JsonNode.Parse(File.ReadAllText(config))!;
        node["chat_template"] = node["chat_template"]!.GetValue<string>().Replace("loop.index0 > ns.last_query_index", "loop.index0 >= ns.last_query_index", StringComparison.Ordinal);
        File.WriteAllText(config, node.ToJsonString());
        var input = Write(temp, ChatLines());

        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", modelDir, "--out", temp.Combine("bad"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, config);
        StringAssert.Contains(stderr, "--template");
        Assert.IsFalse(Directory.Exists(temp.Combine("bad")), "no dataset is written");

        var (ok, stdout, stderr2) = CliRunner.Run("prepare", "--input", input, "--tokenizer", modelDir, "--template", "qwen3", "--out", temp.Combine("good"));
        Assert.AreEqual(0, ok, stderr2);
        StringAssert.Contains(stdout, "template qwen3 (--template, instead of the folder's)");
    }

    [TestMethod]
    public void Prepare_ReasoningContentAndThinkingOff_RendersReasoningAndLeavesTheEmptyBlockUntrained()
    {
        using var temp = new TempDirectory();
        var modelDir = HfModelFixtures.Folder("qwen3");
        var input = Write(temp,
        [
            JsonSerializer.Serialize(new { messages = new object[] { new { role = "user", content = "3*3?" }, new { role = "assistant", content = "9", reasoning_content = "three threes" } } }),
            JsonSerializer.Serialize(new { messages = new object[] { new { role = "user", content = "Hi" }, new { role = "assistant", content = "Hello" } } }),
        ]);
        var output = temp.Combine("sft");
        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", input, "--tokenizer", modelDir, "--val-fraction", "0", "--enable-thinking", "false", "--out", output);
        Assert.AreEqual(0, exit, stderr);
        var tokenizer = ModelFolderTokenizer.Load(modelDir).Tokenizer;
        using var dataset = EpisodeDataset.Open(output);
        string Trained(int e) => tokenizer.Decode([.. dataset.GetEpisodeTokens(e).Where((_, i) => dataset.GetEpisodeMask(e)[i] == 1)]);
        Assert.AreEqual("<think>\nthree threes\n</think>\n\n9<|im_end|>", Trained(0));
        Assert.AreEqual("Hello<|im_end|>", Trained(1));
    }

    [TestMethod]
    public void Prepare_ToolCallsOrReasoningTheTemplateDrops_FailsNamingTheLine()
    {
        using var temp = new TempDirectory();
        var calls = JsonSerializer.Serialize(new { messages = new object[] { new { role = "user", content = "Weather?" }, new { role = "assistant", content = "", tool_calls = new[] { new { function = new { name = "w", arguments = "{}" } } } } } });
        var (exit, _, stderr) = CliRunner.Run("prepare", "--input", Write(temp, [calls]), "--tokenizer", HfModelFixtures.Folder("qwen3"), "--out", temp.Combine("a"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "chat.jsonl:1");
        StringAssert.Contains(stderr, "tool_calls");

        var reasoning = JsonSerializer.Serialize(new { messages = new object[] { new { role = "user", content = "Hi" }, new { role = "assistant", content = "Hello", reasoning_content = "greet" } } });
        (exit, _, stderr) = CliRunner.Run("prepare", "--input", Write(temp, [reasoning]), "--tokenizer", HfModelFixtures.Folder("qwen2"), "--out", temp.Combine("b"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "reasoning_content");
        StringAssert.Contains(stderr, "qwen2.5");
    }
}
