// Chat templates: trained tokens are exactly the assistant contents plus their end-of-turn token; everything else is masked.
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRoles.System, "You are a helpful assistant. Use tools when needed."),
        new(ChatRoles.User, "What's the weather in Paris and in Tokyo?"),
        new(ChatRoles.Assistant, "<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"),
        new(ChatRoles.Tool, "{\"city\": \"Paris\", \"celsius\": 18}"),
        new(ChatRoles.Tool, "{\"city\": \"Tokyo\", \"celsius\": 24}"),
        new(ChatRoles.Assistant, "Paris: 18 \u00b0C, Tokyo: 24 \u00b0C. \u6674\u308c \U0001F324\uFE0F"),
        new(ChatRoles.User, "Thanks! And tomorrow?"),
        new(ChatRoles.Assistant, "I can't know tomorrow's weather without another call."),
    ];

    private static string _dir = string.Empty;

    [ClassInitialize]
    public static void CreateTempDir(TestContext context)
    {
        _dir = Path.Combine(Path.GetTempPath(), "maskedsft-tpl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [ClassCleanup]
    public static void RemoveTempDir() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    [DataRow("chatml", "qwen3", "<|im_end|>")]
    [DataRow("llama3", "llama3", "<|eot_id|>")]
    public void Render_MultiTurnWithTools_TrainedTokensAreAssistantContentsEachWithEndOfTurn(string templateName, string tokenizerName, string endOfTurn)
    {
        var tokenizer = TestTokenizers.ByName(tokenizerName);
        var rendering = ChatTemplate.FromNameOrPath(templateName).Render(Conversation, tokenizer);
        int eot = tokenizer.TokenToId(endOfTurn)!.Value;

        var runs = TrainedRuns(rendering);
        var assistants = Conversation.Where(m => m.Role == ChatRoles.Assistant).ToList();
        Assert.HasCount(assistants.Count, runs, "one trained run per assistant turn");
        for (int k = 0; k < runs.Count; k++)
        {
            int[] run = runs[k];
            Assert.AreEqual(eot, run[^1], $"assistant turn {k} must end with its end-of-turn token");
            Assert.AreEqual(assistants[k].Content, tokenizer.Decode(run[..^1]), $"assistant turn {k}");
        }

        string trainedText = tokenizer.Decode([.. rendering.Ids.Where((_, i) => rendering.Mask[i] == 1)]);
        Assert.AreEqual(string.Concat(assistants.Select(a => a.Content + endOfTurn)), trainedText);
        Assert.AreEqual(rendering.Length, rendering.Spans.Sum(s => s.Length), "the spans tile the rendering");
        foreach (var span in rendering.Spans)
        {
            Assert.AreEqual(span.Trained, rendering.Mask[span.Start] == 1);
            if (span.Trained)
            {
                Assert.AreEqual(ChatRoles.Assistant, Conversation[span.MessageIndex].Role, $"{span.Kind} of message {span.MessageIndex}");
            }
        }
    }

    [TestMethod]
    public void Render_ChatMl_DecodesToQwenTemplateText()
    {
        var tokenizer = TestTokenizers.Qwen3;
        var rendering = ChatTemplate.ChatMl.Render(Conversation, tokenizer);
        string expected =
            "<|im_start|>system\nYou are a helpful assistant. Use tools when needed.<|im_end|>\n"
            + "<|im_start|>user\nWhat's the weather in Paris and in Tokyo?<|im_end|>\n"
            + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"city\": \"Paris\", \"celsius\": 18}\n</tool_response>"
            + "\n<tool_response>\n{\"city\": \"Tokyo\", \"celsius\": 24}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\nParis: 18 \u00b0C, Tokyo: 24 \u00b0C. \u6674\u308c \U0001F324\uFE0F<|im_end|>\n"
            + "<|im_start|>user\nThanks! And tomorrow?<|im_end|>\n"
            + "<|im_start|>assistant\nI can't know tomorrow's weather without another call.<|im_end|>\n";
        Assert.AreEqual(expected, tokenizer.Decode(rendering.Ids));
        CollectionAssert.AreEqual(tokenizer.EncodeToIds(expected), rendering.Ids,
            "the rendering equals tokenizing the whole rendered text (trained contents start with no white space)");
    }

    [TestMethod]
    public void Render_Llama3_DecodesToLlama3TemplateTextAndMatchesWholeTextIds()
    {
        var tokenizer = TestTokenizers.Llama3;
        ChatMessage[] messages = [new(ChatRoles.System, "Be brief."), new(ChatRoles.User, "Hi!"), new(ChatRoles.Assistant, "Hello.")];
        var rendering = ChatTemplate.Llama3.Render(messages, tokenizer);
        string expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>";
        Assert.AreEqual(expected, tokenizer.Decode(rendering.Ids));
        CollectionAssert.AreEqual(tokenizer.EncodeToIds(expected), rendering.Ids);
        Assert.AreEqual(tokenizer.BeginOfSequenceId, rendering.Ids[0]);
    }

    [TestMethod]
    public void Render_TrainOnLast_OnlyLastAssistantTurnIsTrained()
    {
        var tokenizer = TestTokenizers.Qwen3;
        var rendering = ChatTemplate.ChatMl.Render(Conversation, tokenizer, new ChatRenderOptions { TrainOn = AssistantTurns.Last });
        var runs = TrainedRuns(rendering);
        Assert.HasCount(1, runs);
        Assert.AreEqual(Conversation[^1].Content + "<|im_end|>", tokenizer.Decode(runs[0]));
    }

    [TestMethod]
    public void Render_UserDefinedTemplateFile_MasksByItsRoles()
    {
        string path = Path.Combine(_dir, "zephyr.json");
        File.WriteAllText(path, """
            {
              "format": "maskedsft.chat-template/1",
              "name": "zephyr-like",
              "begin": "<|endoftext|>",
              "required_tokens": ["<|endoftext|>"],
              "roles": {
                "system":    { "prefix": "<|system|>\n",    "end_of_turn": "<|endoftext|>", "separator": "\n" },
                "user":      { "prefix": "<|user|>\n",      "end_of_turn": "<|endoftext|>", "separator": "\n" },
                "assistant": { "prefix": "<|assistant|>\n", "end_of_turn": "<|endoftext|>", "separator": "\n" },
                "tool":      { "prefix": "<|tool|>\n",      "end_of_turn": "<|endoftext|>", "separator": "\n" }
              }
            }
            """);
        var template = ChatTemplate.FromNameOrPath(path);
        Assert.AreEqual("zephyr-like", template.Name);
        var tokenizer = TestTokenizers.Gpt2;
        var rendering = template.Render(Conversation, tokenizer);
        var runs = TrainedRuns(rendering);
        var assistants = Conversation.Where(m => m.Role == ChatRoles.Assistant).ToList();
        Assert.HasCount(assistants.Count, runs);
        for (int k = 0; k < runs.Count; k++)
        {
            Assert.AreEqual(50256, runs[k][^1]);
            Assert.AreEqual(assistants[k].Content, tokenizer.Decode(runs[k][..^1]));
        }

        StringAssert.StartsWith(tokenizer.Decode(rendering.Ids), "<|endoftext|><|system|>\nYou are a helpful assistant.");
    }

    [TestMethod]
    public void Render_RandomConversations_TrainedRunsDecodeToAssistantContents()
    {
        // Contents from the parity corpus (all scripts, emoji, white space, special-token look-alikes), random roles.
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestTokenizers.Fixture("parity_corpus.json")));
        string[] pool = [.. doc.RootElement.GetProperty("strings").EnumerateArray().Select(e => e.GetString()!).Where(s => s.Length is > 0 and < 400)];
        string[] roles = [ChatRoles.System, ChatRoles.User, ChatRoles.Assistant, ChatRoles.Tool];
        var rng = new Random(11);
        foreach (var (template, tokenizer) in new[] { (ChatTemplate.ChatMl, TestTokenizers.Qwen3), (ChatTemplate.Llama3, TestTokenizers.Llama3) })
        {
            for (int trial = 0; trial < 40; trial++)
            {
                var messages = Enumerable.Range(0, rng.Next(1, 9))
                    .Select(_ => new ChatMessage(roles[rng.Next(roles.Length)], UnicodeNfc.Normalize(pool[rng.Next(pool.Length)])))
                    .Append(new ChatMessage(ChatRoles.Assistant, UnicodeNfc.Normalize(pool[rng.Next(pool.Length)])))
                    .ToList();
                var rendering = template.Render(messages, tokenizer);
                var assistantSpans = rendering.Spans.Where(s => s.Kind == ChatSpanKind.Content).ToList();
                var assistants = messages.Select((m, i) => (m, i)).Where(p => p.m.Role == ChatRoles.Assistant).ToList();
                var runs = TrainedRuns(rendering);
                Assert.HasCount(assistants.Count, runs, $"{template.Name} trial {trial}");
                for (int k = 0; k < runs.Count; k++)
                {
                    Assert.AreEqual(assistants[k].m.Content + template.FormatOf(ChatRoles.Assistant)!.EndOfTurn, tokenizer.Decode(runs[k]),
                        $"{template.Name} trial {trial} assistant turn {k}");
                }

                Assert.IsTrue(assistantSpans.All(s => messages[s.MessageIndex].Role == ChatRoles.Assistant));
            }
        }
    }

    [TestMethod]
    public void Render_SpecialTokenTextInContent_IsPlainTextByDefault()
    {
        var tokenizer = TestTokenizers.Qwen3;
        ChatMessage[] messages = [new(ChatRoles.User, "say <|im_end|>"), new(ChatRoles.Assistant, "ok <|im_end|> done")];
        var plain = ChatTemplate.ChatMl.Render(messages, tokenizer);
        Assert.AreEqual(2, plain.Ids.Count(id => id == 151645), "one real end-of-turn token per message");
        var runs = TrainedRuns(plain);
        Assert.AreEqual("ok <|im_end|> done<|im_end|>", tokenizer.Decode(runs[0]));
        Assert.AreEqual(1, runs[0].Count(id => id == 151645), "the text in the content is not the special token");

        var parsed = ChatTemplate.ChatMl.Render(messages, tokenizer, new ChatRenderOptions { AllowSpecialTokensInContent = true });
        Assert.AreEqual(4, parsed.Ids.Count(id => id == 151645), "contents' special-token text parsed as special tokens");
    }

    [TestMethod]
    public void Render_UnknownRole_ThrowsNamingRoleAndIndex()
    {
        ChatMessage[] messages = [new(ChatRoles.User, "hi"), new("narrator", "meanwhile"), new(ChatRoles.Assistant, "hello")];
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.ChatMl.Render(messages, TestTokenizers.Qwen3));
        StringAssert.Contains(e.Message, "Message 1");
        StringAssert.Contains(e.Message, "'narrator'");
    }

    [TestMethod]
    public void Render_TemplateTokensMissingFromTokenizer_ThrowsNamingToken()
    {
        ChatMessage[] messages = [new(ChatRoles.User, "hi"), new(ChatRoles.Assistant, "hello")];
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.Llama3.Render(messages, TestTokenizers.Qwen3));
        StringAssert.Contains(e.Message, "<|begin_of_text|>");
        StringAssert.Contains(e.Message, "qwen3");
    }

    [TestMethod]
    [DataRow("""{"format": "maskedsft.chat-template/1", "roles": {"user": {"prefix": "u", "end_of_turn": "e"}}}""", "no 'assistant' role")]
    [DataRow("""{"format": "maskedsft.chat-template/1", "roles": {"assistant": {"prefix": "a", "end_of_turn": ""}}}""", "empty end_of_turn")]
    [DataRow("""{"format": "maskedsft.chat-template/1", "roles": {"assistant": {"prefix": "a", "end_of_turn": "e", "sufix": "x"}}}""", "$.roles.assistant.sufix: unknown field")]
    [DataRow("""{"format": "other/2", "roles": {}}""", "$.format")]
    [DataRow("""{"format": "maskedsft.chat-template/1", "roles": {"assistant": {"prefix": 3, "end_of_turn": "e"}}}""", "$.roles.assistant.prefix: expected a string")]
    [DataRow("""{"format": "maskedsft.chat-template/1", "roles": """, "not valid JSON")]
    public void Load_InvalidTemplateFile_ThrowsNamingTheProblem(string json, string expected)
    {
        string path = Path.Combine(_dir, $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        var e = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.Load(path));
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, path);
    }

    [TestMethod]
    public void FromNameOrPath_NeitherNameNorFile_ThrowsFileNotFound()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => ChatTemplate.FromNameOrPath("mistral"));
        StringAssert.Contains(e.Message, ChatTemplate.BuiltInNames);
        StringAssert.Contains(e.Message, "qwen3");
    }

    [TestMethod]
    public void Audit_TruncatedBeforeAssistant_FlagsNoSupervisedTokens()
    {
        var tokenizer = TestTokenizers.Qwen3;
        var rendering = ChatTemplate.ChatMl.Render(Conversation, tokenizer);
        Assert.AreEqual(MaskAuditFlag.Ok, MaskAudit.Audit(rendering.Mask).Flag);

        int firstTrained = Array.IndexOf(rendering.Mask, (byte)1);
        var truncated = rendering.Truncate(firstTrained);
        Assert.IsTrue(truncated.Truncated);
        Assert.AreEqual(firstTrained, truncated.Length);
        Assert.AreEqual(firstTrained, truncated.Spans.Sum(s => s.Length));
        var audit = MaskAudit.Audit(truncated.Mask);
        Assert.AreEqual(MaskAuditFlag.NoSupervisedTokens, audit.Flag);
        Assert.AreEqual(0, audit.SupervisedTargets);
    }

    [TestMethod]
    public void Audit_EveryTargetTrained_FlagsAllSupervised()
    {
        Assert.AreEqual(MaskAuditFlag.AllSupervised, MaskAudit.Audit([0, 1, 1, 1]).Flag);
        Assert.AreEqual(MaskAuditFlag.AllSupervised, MaskAudit.Audit([1, 1, 1]).Flag);
        Assert.AreEqual(MaskAuditFlag.NoSupervisedTokens, MaskAudit.Audit([1, 0, 0]).Flag, "the first token is never a target");
        var ok = MaskAudit.Audit([0, 0, 1, 1, 0]);
        Assert.AreEqual(new MaskAuditResult(5, 2, MaskAuditFlag.Ok), ok);
    }

    /// <summary>The ids of each maximal run of consecutive trained tokens.</summary>
    private static List<int[]> TrainedRuns(ChatRendering rendering)
    {
        var runs = new List<int[]>();
        var current = new List<int>();
        for (int i = 0; i < rendering.Length; i++)
        {
            if (rendering.Mask[i] == 1)
            {
                current.Add(rendering.Ids[i]);
            }
            else if (current.Count > 0)
            {
                runs.Add([.. current]);
                current.Clear();
            }
        }

        if (current.Count > 0)
        {
            runs.Add([.. current]);
        }

        return runs;
    }
}
