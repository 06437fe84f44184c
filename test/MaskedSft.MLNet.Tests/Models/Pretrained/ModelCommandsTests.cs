// `maskedsft logprobs` and `maskedsft generate` on the tiny Hugging Face fixtures: transformers' log-probs and greedy
// continuations through the JSON-lines interface, the three input kinds of generate, and bad lines.
using System.Text.Json;
using MaskedSft.Cli.Commands;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class ModelCommandsTests
{
    private static JsonElement[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    private static GenerateCommand.PromptReader Prompts(string folder, PretrainedCausalLm model, ChatRenderOptions? render = null) =>
        new(ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder)), null, render ?? new ChatRenderOptions { AddGenerationPrompt = true }, model.VocabSize);

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("qwen3")]
    [DataRow("qwen2")]
    public void LogProbs_ReferenceSequences_WithinToleranceOfTransformers(string folder)
    {
        using var reference = HfModelFixtures.Reference(folder);
        var cases = reference.RootElement.GetProperty("logprobs").EnumerateArray().ToArray();
        var input = string.Join("\n", cases.Select(c => JsonSerializer.Serialize(new { ids = HfModelFixtures.Ints(c.GetProperty("ids")) })));
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder(folder));
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.AreEqual(0, LogProbsCommand.Run(model, new StringReader(input), output, error, batchSize: 3), error.ToString());
        var lines = Lines(output.ToString());
        Assert.HasCount(cases.Length, lines, "one line per input, batches of 3 across 4 inputs");
        for (int i = 0; i < cases.Length; i++)
        {
            var expected = HfModelFixtures.Doubles(cases[i].GetProperty("logprobs"));
            var actual = HfModelFixtures.Doubles(lines[i].GetProperty("logprobs"));
            Assert.HasCount(expected.Length, actual, cases[i].GetProperty("name").GetString());
            for (int k = 0; k < expected.Length; k++)
            {
                Assert.AreEqual(expected[k], actual[k], 1e-4, $"{folder}/{cases[i].GetProperty("name").GetString()}[{k}]");
            }
        }
    }

    [TestMethod]
    public void LogProbs_BadLine_WritesTheLinesBeforeAndNamesTheLine()
    {
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder("qwen2"));
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = LogProbsCommand.Run(model, new StringReader("{\"ids\": [1, 2, 3]}\n{\"ids\": [1, 99999]}\n{\"ids\": [4, 5]}\n"), output, error, batchSize: 8);
        Assert.AreEqual(1, exit);
        Assert.HasCount(1, Lines(output.ToString()));
        StringAssert.Contains(error.ToString(), "stdin:2");
        StringAssert.Contains(error.ToString(), "ids[1] is 99999");
        exit = LogProbsCommand.Run(model, new StringReader("{\"ids\": [7]}\n"), new StringWriter(), error = new StringWriter(), batchSize: 8);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(error.ToString(), "at least 2");
    }

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("qwen3")]
    public void Generate_GreedyFromIdsAndText_EqualsTransformersGreedy(string folder)
    {
        using var reference = HfModelFixtures.Reference(folder);
        var single = reference.RootElement.GetProperty("generation").GetProperty("single").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder(folder));
        var lines = new[]
        {
            JsonSerializer.Serialize(new { ids = HfModelFixtures.Ints(single["chat_prompt"].GetProperty("prompt_ids")) }),
            JsonSerializer.Serialize(new { text = "def add(a, b):" }), // the reference's text_prompt: tokenizer(text), so Llama's BOS comes first
            JsonSerializer.Serialize(new { ids = HfModelFixtures.Ints(single["stops_at_eos"].GetProperty("prompt_ids")) }),
        };
        var output = new StringWriter();
        var error = new StringWriter();
        var decoding = DecodingOptions.FromGenerationConfig(model.GenerationConfig, 16) with { DoSample = false };
        Assert.AreEqual(0, GenerateCommand.Run(model, Prompts(folder, model), new StringReader(string.Join("\n", lines)), output, error, decoding, batchSize: 2), error.ToString());
        var results = Lines(output.ToString());
        var tokenizer = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder)).Tokenizer;
        string[] names = ["chat_prompt", "text_prompt", "stops_at_eos"];
        for (int i = 0; i < names.Length; i++)
        {
            var expected = HfModelFixtures.Ints(single[names[i]].GetProperty("new_ids"));
            CollectionAssert.AreEqual(expected, HfModelFixtures.Ints(results[i].GetProperty("new_ids")), $"{folder}/{names[i]}");
            Assert.AreEqual(tokenizer.Decode(expected, skipSpecialTokens: true), results[i].GetProperty("text").GetString(), $"{folder}/{names[i]}: text");
        }
    }

    [TestMethod]
    [DataRow("qwen3", true)]
    [DataRow("qwen3", false)]
    [DataRow("llama-mqa-tied-linear", true)]
    public void Generate_Messages_PromptIsTheRenderedChatWithGenerationPrompt(string folder, bool thinking)
    {
        using var reference = HfModelFixtures.Reference(folder);
        var chat = reference.RootElement.GetProperty("tokenizer").GetProperty("chat").EnumerateArray()
            .First(c => c.GetProperty("kwargs").TryGetProperty("add_generation_prompt", out var p) && p.GetBoolean()
                && (!c.GetProperty("kwargs").TryGetProperty("enable_thinking", out var t) || t.GetBoolean()) == thinking);
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder(folder));
        var render = new ChatRenderOptions
        {
            AddGenerationPrompt = true,
            EnableThinking = thinking,
            DateString = chat.GetProperty("kwargs").TryGetProperty("date_string", out var date) ? date.GetString() : null,
        };
        var prompts = Prompts(folder, model, render);
        var viaMessages = prompts.PromptIds(JsonDocument.Parse(JsonSerializer.Serialize(new { messages = chat.GetProperty("messages") })).RootElement, 1);
        CollectionAssert.AreEqual(HfModelFixtures.Ints(chat.GetProperty("ids")), viaMessages, "apply_chat_template(..., add_generation_prompt=True)");

        var decoding = DecodingOptions.FromGenerationConfig(model.GenerationConfig, 8) with { DoSample = false };
        var input = JsonSerializer.Serialize(new { messages = chat.GetProperty("messages") }) + "\n" + JsonSerializer.Serialize(new { ids = viaMessages });
        var output = new StringWriter();
        Assert.AreEqual(0, GenerateCommand.Run(model, prompts, new StringReader(input), output, new StringWriter(), decoding, batchSize: 8));
        var results = Lines(output.ToString());
        CollectionAssert.AreEqual(HfModelFixtures.Ints(results[1].GetProperty("new_ids")), HfModelFixtures.Ints(results[0].GetProperty("new_ids")));
    }

    [TestMethod]
    public void Generate_SampledWithSeed_IsReproducibleAndStopsAtEos()
    {
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder("qwen3"));
        var decoding = DecodingOptions.FromGenerationConfig(model.GenerationConfig, 12) with { DoSample = true, Temperature = 0.8, TopP = 0.9, TopK = 20, Seed = 42 };
        var input = "{\"text\": \"Hello\"}\n{\"text\": \"The quick brown fox\"}\n";
        string Once()
        {
            var output = new StringWriter();
            Assert.AreEqual(0, GenerateCommand.Run(model, Prompts("qwen3", model), new StringReader(input), output, new StringWriter(), decoding, batchSize: 2));
            return output.ToString();
        }

        var first = Once();
        Assert.AreEqual(first, Once(), "same seed, same inputs, same batches: same samples");
        foreach (var line in Lines(first))
        {
            var ids = HfModelFixtures.Ints(line.GetProperty("new_ids"));
            Assert.IsTrue(ids.Length == 12 || model.GenerationConfig.EosTokenIds.Contains(ids[^1]), "a row ends at eos or at --max-new-tokens");
            Assert.IsFalse(ids[..^1].Any(model.GenerationConfig.EosTokenIds.Contains), "nothing after the first eos");
        }
    }

    [TestMethod]
    public void Generate_BadLines_NameTheLineAndTheProblem()
    {
        using var model = PretrainedModelLoader.Load(HfModelFixtures.Folder("qwen3"));
        var decoding = DecodingOptions.Greedy(2);
        foreach (var (line, expected) in new[]
        {
            ("{\"prompt\": \"Hi\"}", "\"ids\", \"text\" or \"messages\""),
            ("{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "robot"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, {\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{}]}]}", "tool_calls"),
            ("{\"ids\": []}", "at least 1"),
            ("[1, 2]", "JSON object"),
        })
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exit = GenerateCommand.Run(model, Prompts("qwen3", model), new StringReader("{\"ids\": [1, 2]}\n" + line + "\n"), output, error, decoding, batchSize: 4);
            Assert.AreEqual(1, exit, line);
            Assert.HasCount(1, Lines(output.ToString()), $"{line}: the good line before is answered");
            StringAssert.Contains(error.ToString(), "stdin:2", line);
            StringAssert.Contains(error.ToString(), expected, line);
        }
    }

    [TestMethod]
    public void GenerateCli_GreedyWithTemperature_IsAnUsageError_UnknownModelIsAnError()
    {
        var (exit, _, stderr) = CliRunner.Run("generate", "--model", HfModelFixtures.Folder("qwen3"), "--max-new-tokens", "4", "--greedy", "--temperature", "0.7");
        Assert.AreEqual(2, exit);
        StringAssert.Contains(stderr, "--greedy");
        (exit, _, stderr) = CliRunner.Run("logprobs", "--model", Path.Combine(Path.GetTempPath(), "no-such-model-folder"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(stderr, "no-such-model-folder");
    }
}
