// Loading the tokenizer files of a model folder: which file the chat template comes from, and clear errors for folders
// whose files disagree or lack what is needed.
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tests.Tokenizers;

[TestClass]
public sealed class ModelFolderTokenizerTests
{
    /// <summary>A copy of the qwen3 fixture's tokenizer files (no weights) in a temporary folder.</summary>
    private static TempDirectory CopyOfQwen3()
    {
        var temp = new TempDirectory();
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json", "config.json" })
        {
            File.Copy(Path.Combine(HfModelFixtures.Folder("qwen3"), file), temp.Combine(file));
        }

        return temp;
    }

    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    [TestMethod]
    public void Load_ChatTemplateJinjaFile_OverridesTokenizerConfig()
    {
        using var temp = CopyOfQwen3();
        var llama = File.ReadAllText(Path.Combine(TestTokenizers.RepoRoot, "scripts", "reference", "chat_templates", "qwen2_5_instruct.jinja"));
        File.WriteAllText(temp.Combine("chat_template.jinja"), llama);
        var model = ModelFolderTokenizer.Load(temp.Path);
        Assert.AreEqual(temp.Combine("chat_template.jinja"), model.ChatTemplateSource);
        Assert.AreEqual("qwen2.5", model.RequireChatTemplate().Name);
    }

    [TestMethod]
    public void Load_NamedTemplateList_UsesTheDefaultOne()
    {
        using var temp = CopyOfQwen3();
        var config = temp.Combine("tokenizer_config.json");
        EditJson(config, c =>
        {
            var text = c["chat_template"]!.GetValue<string>();
            c["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool_use", ["template"] = "{{ nonsense }}" },
                new JsonObject { ["name"] = "default", ["template"] = text });
        });
        var model = ModelFolderTokenizer.Load(temp.Path);
        Assert.AreEqual("qwen3", model.RequireChatTemplate().Name);
        StringAssert.Contains(model.ChatTemplateSource, "\"default\"");
    }

    [TestMethod]
    public void RequireChatTemplate_UnrecognisedTemplate_NamesTheFileAndTheOption()
    {
        using var temp = CopyOfQwen3();
        EditJson(temp.Combine("tokenizer_config.json"), c => c["chat_template"] = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
        var model = ModelFolderTokenizer.Load(temp.Path);
        Assert.IsNull(model.ChatTemplate);
        var e = Assert.Throws<ChatTemplateException>(() => model.RequireChatTemplate());
        StringAssert.Contains(e.Message, temp.Combine("tokenizer_config.json"));
        StringAssert.Contains(e.Message, "--template");
        Assert.AreEqual(507, model.Tokenizer.VocabularySize, "the tokenizer itself is still usable");
    }

    [TestMethod]
    public void RequireChatTemplate_NoTemplate_SaysSo()
    {
        using var temp = CopyOfQwen3();
        EditJson(temp.Combine("tokenizer_config.json"), c => c.Remove("chat_template"));
        Assert.IsFalse(ModelFolderTokenizer.HasChatTemplate(temp.Path));
        var e = Assert.Throws<ChatTemplateException>(() => ModelFolderTokenizer.Load(temp.Path).RequireChatTemplate());
        StringAssert.Contains(e.Message, "has no chat template");
    }

    [TestMethod]
    public void Load_AddedTokensDecoderDisagreesWithTokenizerJson_ThrowsNamingIdAndBothTokens()
    {
        using var temp = CopyOfQwen3();
        EditJson(temp.Combine("tokenizer_config.json"), c => c["added_tokens_decoder"]!["505"]!["content"] = "<reasoning>");
        var e = Assert.Throws<TokenizerFormatException>(() => ModelFolderTokenizer.Load(temp.Path));
        StringAssert.Contains(e.Message, "505");
        StringAssert.Contains(e.Message, "<reasoning>");
        StringAssert.Contains(e.Message, "<think>");
        StringAssert.Contains(e.Message, "tokenizer_config.json");
    }

    [TestMethod]
    public void Load_EosIdOutsideTheTokenizer_ThrowsNamingGenerationConfig()
    {
        using var temp = CopyOfQwen3();
        EditJson(temp.Combine("generation_config.json"), c => c["eos_token_id"] = new JsonArray(502, 9999));
        var e = Assert.Throws<TokenizerFormatException>(() => ModelFolderTokenizer.Load(temp.Path));
        StringAssert.Contains(e.Message, "generation_config.json");
        StringAssert.Contains(e.Message, "9999");
    }

    [TestMethod]
    public void Load_NoGenerationConfig_FallsBackToConfigThenTokenizerEos()
    {
        using var temp = CopyOfQwen3();
        File.Delete(temp.Combine("generation_config.json"));
        EditJson(temp.Combine("config.json"), c => c["eos_token_id"] = 500);
        CollectionAssert.AreEqual(new[] { 500 }, ModelFolderTokenizer.Load(temp.Path).EndOfSequenceIds.ToArray());
        File.Delete(temp.Combine("config.json"));
        CollectionAssert.AreEqual(new[] { 502 }, ModelFolderTokenizer.Load(temp.Path).EndOfSequenceIds.ToArray(), "tokenizer_config's eos <|im_end|>");
    }

    [TestMethod]
    public void Load_FolderWithoutTokenizerJson_ThrowsFileNotFound()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("tokenizer.model"), "sentencepiece");
        var e = Assert.Throws<FileNotFoundException>(() => ModelFolderTokenizer.Load(temp.Path));
        StringAssert.Contains(e.Message, "tokenizer.json");
        Assert.Throws<DirectoryNotFoundException>(() => ModelFolderTokenizer.Load(temp.Combine("missing")));
    }
}
