// Recognition of Hugging Face Jinja chat templates and the behaviours of the recognised templates that plain per-role
// wrapping lacks: Qwen3's think handling, Qwen2.5's default system message, Llama 3.1's system preamble, date and JSON tool
// results; an edited template is refused with a hint, never rendered with a guess.
using System.Text.Json;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class ChatTemplateRecognizerTests
{
    private static string FixtureTemplate(string folder)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfModelFixtures.Folder(folder), "tokenizer_config.json")));
        return config.RootElement.GetProperty("chat_template").GetString()!;
    }

    private static ModelFolderTokenizer Fixture(string folder) => ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));

    /// <summary>A file of .cache/tokenizers (fetched by scripts/setup.sh); the test is inconclusive without it.</summary>
    private static string Cached(string name, string file)
    {
        var path = Path.Combine(TestTokenizers.RepoRoot, ".cache", "tokenizers", name, file);
        if (!File.Exists(path))
        {
            Assert.Inconclusive($"{path} is missing; run `bash scripts/setup.sh` to fetch the real tokenizer files into .cache/tokenizers/.");
        }

        return path;
    }

    private static string Decode(ModelFolderTokenizer model, ChatRendering rendering, ChatSpan span) =>
        model.Tokenizer.Decode(rendering.Ids.AsSpan(span.Start, span.Length));

    [TestMethod]
    [DataRow("qwen3", "qwen3")]
    [DataRow("llama3", "llama3-instruct-always-header")]
    public void Recognize_RealTemplatesOfTheCachedTokenizers_GivesTheirBuiltIn(string cache, string expected)
    {
        var model = ModelFolderTokenizer.Load(Path.GetDirectoryName(Cached(cache, "tokenizer_config.json"))!);
        Assert.AreEqual(expected, model.RequireChatTemplate().Name);
    }

    [TestMethod]
    [DataRow("qwen3", "qwen3")]
    [DataRow("llama3", "llama-gqa-sharded")]
    public void Render_RealTokenizerAndTemplate_TextEqualsTransformersRenderingOfTheSameTemplate(string cache, string fixture)
    {
        // The fixture's reference texts come from the same Jinja template applied by transformers; the text does not depend on
        // the tokenizer, so the real tokenizer must decode our rendering to exactly that text.
        var model = ModelFolderTokenizer.Load(Path.GetDirectoryName(Cached(cache, "tokenizer_config.json"))!);
        Assert.AreEqual(FixtureTemplate(fixture), model.ChatTemplateText, "the fixture uses the real template");
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfModelFixtures.Folder(fixture), "reference.json")));
        foreach (var chat in reference.RootElement.GetProperty("tokenizer").GetProperty("chat").EnumerateArray())
        {
            var (messages, options) = HfModelTokenizerParityTests.Chat(chat);
            var rendering = model.RequireChatTemplate().Render(messages, model.Tokenizer, options);
            Assert.AreEqual(chat.GetProperty("text").GetString(), model.Tokenizer.Decode(rendering.Ids), chat.GetProperty("name").GetString());
            CollectionAssert.AreEqual(model.Tokenizer.EncodeToIds(chat.GetProperty("text").GetString()), rendering.Ids,
                $"{chat.GetProperty("name").GetString()}: the ids of the whole text");
        }
    }

    [TestMethod]
    [DataRow("qwen3", "loop.index0 > ns.last_query_index", "loop.index0 >= ns.last_query_index", "Qwen3 family")]
    [DataRow("qwen2", "You are Qwen, created by Alibaba Cloud.", "You are a helpful assistant.", "ChatML")]
    [DataRow("llama-gqa-sharded", "| trim + '<|eot_id|>'", " + '<|eot_id|>'", "Llama 3 family")]
    [DataRow("llama-mqa-tied-linear", "\"Cutting Knowledge Date: December 2023\\n\"", "\"Cutting Knowledge Date: January 2025\\n\"", "Llama 3 family")]
    public void Recognize_EditedTemplate_RefusesNamingSourceFamilyAndTemplateOption(string folder, string original, string edited, string family)
    {
        var text = FixtureTemplate(folder);
        Assert.Contains(original, text);
        var changed = text.Replace(original, edited, StringComparison.Ordinal);
        Assert.IsFalse(ChatTemplateRecognizer.TryRecognize(changed, out _));
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplateRecognizer.Recognize(changed, "/models/x/tokenizer_config.json (chat_template)"));
        StringAssert.Contains(e.Message, "/models/x/tokenizer_config.json (chat_template)");
        StringAssert.Contains(e.Message, family);
        StringAssert.Contains(e.Message, "--template");
        StringAssert.Contains(e.Message, "qwen3");
    }

    [TestMethod]
    public void Recognize_Llama3WithGenerationPromptCondition_IsLlama3Instruct()
    {
        var original = FixtureTemplate("llama-gqa-sharded");
        const string Header = "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
        StringAssert.EndsWith(original, "{% endfor %}" + Header);
        var updated = original[..^Header.Length] + "{% if add_generation_prompt %}" + Header + "{% endif %}";
        Assert.IsTrue(ChatTemplateRecognizer.TryRecognize(updated, out var template));
        Assert.AreSame(ChatTemplate.Llama3Instruct, template);
        Assert.AreEqual(string.Empty, template.End, "no header after the last message");
        Assert.AreEqual("<|start_header_id|>assistant<|end_header_id|>\n\n", template.GenerationPrompt());
        Assert.AreEqual(string.Empty, ChatTemplate.Llama3InstructAlwaysHeader.GenerationPrompt(), "the header is already there");
    }

    [TestMethod]
    public void Recognize_Llama32WithoutClockBranch_IsLlama31WithItsFixedDate()
    {
        var text = FixtureTemplate("llama-mqa-tied-linear");
        const string Branch = "    {%- if strftime_now is defined %}\n        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n    {%- else %}\n        {%- set date_string = \"26 Jul 2024\" %}\n    {%- endif %}";
        Assert.Contains(Branch, text);
        Assert.IsTrue(ChatTemplateRecognizer.TryRecognize(text.Replace(Branch, "    {%- set date_string = \"26 Jul 2024\" %}", StringComparison.Ordinal), out var template));
        Assert.AreSame(ChatTemplate.Llama31, template);
        Assert.AreEqual("26 Jul 2024", template.Rules.DefaultDate);
        Assert.IsNull(ChatTemplate.Llama32.Rules.DefaultDate, "3.2 writes today's date, as transformers' strftime_now");
    }

    [TestMethod]
    public void Render_Qwen3FinalTurnWithoutReasoning_TrainsTheEmptyThinkBlockUnlessThinkingIsDisabled()
    {
        var model = Fixture("qwen3");
        var messages = new List<ChatMessage> { new("user", "Hi"), new("assistant", "Hello!") };
        var thinking = ChatTemplate.Qwen3.Render(messages, model.Tokenizer);
        var content = thinking.Spans.Single(s => s.Kind == ChatSpanKind.Content);
        Assert.AreEqual("<think>\n\n</think>\n\nHello!", Decode(model, thinking, content), "with thinking the model writes the block itself");

        var plain = ChatTemplate.Qwen3.Render(messages, model.Tokenizer, new ChatRenderOptions { EnableThinking = false });
        CollectionAssert.AreEqual(thinking.Ids, plain.Ids, "the tokens are the same either way");
        var plainContent = plain.Spans.Single(s => s.Kind == ChatSpanKind.Content);
        Assert.AreEqual("Hello!", Decode(model, plain, plainContent), "without thinking the empty block is part of the prompt");
        StringAssert.EndsWith(model.Tokenizer.Decode(plain.Ids.AsSpan(0, plainContent.Start)), "<|im_start|>assistant\n<think>\n\n</think>\n\n");
    }

    [TestMethod]
    public void Render_Qwen3ReasoningBeforeAndAfterTheLastQuery_StripsEarlierKeepsLater()
    {
        var model = Fixture("qwen3");
        var messages = new List<ChatMessage>
        {
            new("user", "2+2?"),
            new("assistant", "<think>\nadd\n</think>\n\n4"),
            new("user", "3*3?"),
            new("assistant", "9") { ReasoningContent = "\nmultiply\n" },
        };
        var rendering = ChatTemplate.Qwen3.Render(messages, model.Tokenizer);
        var contents = rendering.Spans.Where(s => s.Kind == ChatSpanKind.Content).Select(s => Decode(model, rendering, s)).ToArray();
        CollectionAssert.AreEqual(new[] { "4", "<think>\nmultiply\n</think>\n\n9" }, contents);
        Assert.DoesNotContain("add", model.Tokenizer.Decode(rendering.Ids), "reasoning before the last query is dropped, as Qwen3's template does");
    }

    [TestMethod]
    public void Render_Qwen3ToolRoundAfterTheQuery_KeepsReasoningOfTheIntermediateTurn()
    {
        var model = Fixture("qwen3");
        var messages = new List<ChatMessage>
        {
            new("user", "Weather?"),
            new("assistant", "<think>\nneed a tool\n</think>\n\n<tool_call>\n{\"name\": \"w\"}\n</tool_call>"),
            new("tool", "{\"c\": 21}"),
            new("assistant", "21 C"),
        };
        var rendering = ChatTemplate.Qwen3.Render(messages, model.Tokenizer);
        Assert.AreEqual(
            "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n<think>\nneed a tool\n</think>\n\n<tool_call>\n{\"name\": \"w\"}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"c\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n21 C<|im_end|>\n",
            model.Tokenizer.Decode(rendering.Ids));
    }

    [TestMethod]
    public void Render_ReasoningContentWithATemplateWithoutThinkHandling_Throws()
    {
        var model = Fixture("qwen2");
        var messages = new List<ChatMessage> { new("user", "Hi"), new("assistant", "Hello") { ReasoningContent = "greet" } };
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Qwen25.Render(messages, model.Tokenizer));
        StringAssert.Contains(e.Message, "reasoning_content");
        StringAssert.Contains(e.Message, "qwen3");
    }

    [TestMethod]
    public void Render_Qwen25WithoutSystemMessage_InsertsItsDefaultSystemMessageUntrained()
    {
        var model = Fixture("qwen2");
        var rendering = ChatTemplate.Qwen25.Render([new("user", "Hi"), new("assistant", "Hello")], model.Tokenizer);
        StringAssert.StartsWith(model.Tokenizer.Decode(rendering.Ids), "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n");
        Assert.AreEqual(1, rendering.Spans.Single(s => s.Kind == ChatSpanKind.Content).MessageIndex, "message indices stay those of the input");
        var own = ChatTemplate.Qwen25.Render([new("system", "Be brief."), new("user", "Hi"), new("assistant", "Hello")], model.Tokenizer);
        Assert.DoesNotContain("You are Qwen", model.Tokenizer.Decode(own.Ids));
    }

    [TestMethod]
    public void Render_Llama31ToolResultAndDate_AsItsTemplateWritesThem()
    {
        var model = Fixture("llama-mqa-tied-linear");
        var messages = new List<ChatMessage>
        {
            new("user", "  Weather?  "),
            new("assistant", "Calling."),
            new("tool", "{\"c\": 21}\n"),
            new("assistant", "21 C"),
        };
        var rendering = ChatTemplate.Llama31.Render(messages, model.Tokenizer);
        Assert.AreEqual(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWeather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nCalling.<|eot_id|>"
            + "<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"c\\\": 21}\\n\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n21 C<|eot_id|>",
            model.Tokenizer.Decode(rendering.Ids), "a string tool result goes through tojson (a string is iterable in Jinja)");
        var dated = ChatTemplate.Llama32.Render(messages.Take(2).ToList(), model.Tokenizer, new ChatRenderOptions { DateString = "01 Jan 2026" });
        StringAssert.Contains(model.Tokenizer.Decode(dated.Ids), "Today Date: 01 Jan 2026\n\n<|eot_id|>");
        var today = ChatTemplate.Llama32.Render(messages.Take(2).ToList(), model.Tokenizer);
        StringAssert.Contains(model.Tokenizer.Decode(today.Ids), "Today Date: " + DateTime.Now.ToString("dd MMM yyyy", System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void TemplateText_JsonStringAndStrip_MatchPython()
    {
        // Expected values printed by Python 3.11: json.dumps(s, ensure_ascii=False) and ' \x1c\x1dHi\u3000\u00a0'.strip().
        const string S = "a\"b\\c\n\t\r\b\f\u0001\u001f\u007f \u00e9 \u2713 <>&\u2028";
        Assert.AreEqual("\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\u007f \u00e9 \u2713 <>&\u2028\"", TemplateText.JsonString(S));
        Assert.AreEqual("Hi", TemplateText.Strip(" \u001c\u001dHi\u3000\u00a0"));
    }
}
