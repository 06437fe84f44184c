// Parity with transformers on the tiny Hugging Face model folders (Fixtures/HfModels, made by
// scripts/reference/hf_models_reference.py): the folder's tokenizer, its recognised chat template and apply_chat_template's
// ids, texts, eos ids; and the loss mask of every rendered chat covers exactly the assistant turns.
using System.Text.Json;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class HfModelTokenizerParityTests
{
    /// <summary>The base model folders and the template each one's chat_template must be recognised as.</summary>
    public static IEnumerable<object[]> Folders =>
    [
        ["qwen2", "qwen2.5"],
        ["qwen3", "qwen3"],
        ["llama-gqa-sharded", "llama3-instruct-always-header"],
        ["llama-mqa-tied-linear", "llama3.2"],
    ];

    private static JsonElement Reference(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfModelFixtures.Folder(name), "reference.json")));
        return document.RootElement.Clone();
    }

    internal static (List<ChatMessage> Messages, ChatRenderOptions Options) Chat(JsonElement chat)
    {
        var messages = chat.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))
            .ToList();
        var kwargs = chat.GetProperty("kwargs");
        var options = new ChatRenderOptions
        {
            AddGenerationPrompt = kwargs.TryGetProperty("add_generation_prompt", out var prompt) && prompt.GetBoolean(),
            EnableThinking = !kwargs.TryGetProperty("enable_thinking", out var thinking) || thinking.GetBoolean(),
            DateString = kwargs.TryGetProperty("date_string", out var date) ? date.GetString() : null,
        };
        return (messages, options);
    }

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void Load_FixtureFolder_RecognisesItsChatTemplate(string folder, string expectedTemplate)
    {
        var model = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));
        Assert.IsNotNull(model.ChatTemplateText);
        StringAssert.Contains(model.ChatTemplateSource, "tokenizer_config.json");
        Assert.AreEqual(expectedTemplate, model.RequireChatTemplate().Name);
        Assert.AreSame(model.ChatTemplate, model.RequireChatTemplate());
    }

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void Render_EveryReferenceChat_IdsAndTextEqualApplyChatTemplate(string folder, string expectedTemplate)
    {
        var model = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));
        var template = model.RequireChatTemplate();
        var chats = Reference(folder).GetProperty("tokenizer").GetProperty("chat").EnumerateArray().ToArray();
        Assert.IsGreaterThanOrEqualTo(3, chats.Length, $"{folder} ({expectedTemplate}) has reference chats");
        foreach (var chat in chats)
        {
            var name = chat.GetProperty("name").GetString();
            var (messages, options) = Chat(chat);
            var rendering = template.Render(messages, model.Tokenizer, options);
            CollectionAssert.AreEqual(chat.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(), rendering.Ids,
                $"{folder}/{name}: ids differ from transformers' apply_chat_template");
            Assert.AreEqual(chat.GetProperty("text").GetString(), model.Tokenizer.Decode(rendering.Ids), $"{folder}/{name}: rendered text");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void Render_EveryReferenceChat_TrainsExactlyTheAssistantTurnsAndTheirEndOfTurn(string folder, string expectedTemplate)
    {
        var model = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));
        var template = model.RequireChatTemplate();
        var endOfTurn = template.FormatOf(ChatRoles.Assistant)!.EndOfTurn;
        foreach (var chat in Reference(folder).GetProperty("tokenizer").GetProperty("chat").EnumerateArray())
        {
            var name = chat.GetProperty("name").GetString();
            var (messages, options) = Chat(chat);
            var rendering = template.Render(messages, model.Tokenizer, options);
            var assistant = messages.Select((m, i) => (m, i)).Where(x => x.m.Role == ChatRoles.Assistant).ToList();
            var trained = rendering.Spans.Where(s => s.Trained).ToList();
            Assert.HasCount(2 * assistant.Count, trained, $"{folder}/{name}: a content and an end-of-turn span per assistant turn");
            for (int k = 0; k < assistant.Count; k++)
            {
                var (message, index) = assistant[k];
                var content = trained[2 * k];
                var end = trained[(2 * k) + 1];
                Assert.AreEqual(index, content.MessageIndex);
                Assert.AreEqual(ChatSpanKind.Content, content.Kind);
                Assert.AreEqual(ChatSpanKind.EndOfTurn, end.Kind);
                var text = model.Tokenizer.Decode(rendering.Ids.AsSpan(content.Start, content.Length));
                StringAssert.EndsWith(text, TemplateText.Strip(TemplateText.AfterLast(message.Content, "</think>")), $"{folder}/{name}: trained content of message {index}");
                Assert.AreEqual(endOfTurn, model.Tokenizer.Decode(rendering.Ids.AsSpan(end.Start, end.Length)), $"{folder}/{name}");
            }

            Assert.AreEqual(trained.Sum(s => s.Length), rendering.Mask.Count(b => b == 1), $"{folder}/{name}: mask 1 only on trained spans");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void Tokenizer_ReferenceTexts_IdsAndDecodingEqualTransformers(string folder, string expectedTemplate)
    {
        var model = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));
        var tokenizer = Reference(folder).GetProperty("tokenizer");
        Assert.AreEqual(tokenizer.GetProperty("eos_token_id").GetInt32(), model.Tokenizer.EndOfSequenceId, expectedTemplate);
        foreach (var entry in tokenizer.GetProperty("texts").EnumerateArray())
        {
            var text = entry.GetProperty("text").GetString()!;
            var ids = entry.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            CollectionAssert.AreEqual(ids, model.Tokenizer.EncodeToIds(text), $"{folder}: {text}");
            CollectionAssert.AreEqual(entry.GetProperty("ids_with_special_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                model.Tokenizer.EncodeWithSpecialTokens(text), $"{folder}: tokenizer(text) with the post-processor's special tokens");
            Assert.AreEqual(entry.GetProperty("decoded").GetString(), model.Tokenizer.Decode(ids), $"{folder}: decode");
            Assert.AreEqual(entry.GetProperty("decoded_skip_special").GetString(), model.Tokenizer.Decode(ids, skipSpecialTokens: true), $"{folder}: decode, skipping specials");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Folders))]
    public void Load_FixtureFolder_EndOfSequenceIdsAreGenerationConfigs(string folder, string expectedTemplate)
    {
        var model = ModelFolderTokenizer.Load(HfModelFixtures.Folder(folder));
        var expected = Reference(folder).GetProperty("generation").GetProperty("eos_token_id").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        CollectionAssert.AreEquivalent(expected, model.EndOfSequenceIds.ToArray(), $"{folder} ({expectedTemplate})");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(HfModelFixtures.Folder(folder), "generation_config.json")));
        var eos = config.RootElement.GetProperty("eos_token_id");
        var inFileOrder = eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [eos.GetInt32()];
        CollectionAssert.AreEqual(inFileOrder, model.EndOfSequenceIds.ToArray(), "the file's order is kept");
    }
}
