// ApplyChatTemplate: the same ids and mask as `prepare`, schema propagation, column errors, other ML.NET tokenizers, save/load.
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
public sealed class ChatTemplateTransformTests
{
    private const string Chat = """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of France?"}, {"role": "assistant", "content": "Paris."}]}""";
    private const string ChatArray = """[{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4 <|im_end|> really"}]""";

    private static readonly Lazy<HuggingFaceTokenizer> Qwen3 = new(() => HuggingFaceTokenizer.FromFile(Path.GetDirectoryName(TestTokenizers.Dir("qwen3", "tokenizer.json"))!));

    [TestMethod]
    public void Transform_Qwen3Chats_EqualsTheChatTemplateRenderingOfPrepare()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ChatRow { Messages = Chat }, new ChatRow { Messages = ChatArray } });
        var model = ml.MaskedSft().ApplyChatTemplate(Qwen3.Value).Fit(data);
        var rows = ml.Data.CreateEnumerable<TokensRow>(model.Transform(data), false).ToList();

        foreach (var (row, json) in rows.Zip(new[] { Chat, ChatArray }))
        {
            var messages = System.Text.Json.JsonDocument.Parse(json).RootElement;
            var array = messages.ValueKind == System.Text.Json.JsonValueKind.Object ? messages.GetProperty("messages") : messages;
            var expected = ChatTemplate.ChatMl.Render([.. array.EnumerateArray().Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))], TestTokenizers.Qwen3);
            CollectionAssert.AreEqual(expected.Ids, row.Tokens);
            CollectionAssert.AreEqual(expected.Mask.Select(b => b != 0).ToArray(), row.LossMask);
        }

        var trained = rows[1].Tokens.Where((_, i) => rows[1].LossMask[i]).ToArray();
        Assert.AreEqual("4 <|im_end|> really<|im_end|>", Qwen3.Value.Decode(trained), "assistant text and its end of turn; the literal <|im_end|> in the text is plain text");
        Assert.AreEqual(1, trained.Count(id => id == Qwen3.Value.Bpe.TokenToId("<|im_end|>")), "one real end-of-turn token");
    }

    [TestMethod]
    public void GetOutputSchema_WithoutFitting_AddsTokensAndLossMaskVectors()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ChatRow { Messages = Chat } });
        var estimator = ml.MaskedSft().ApplyChatTemplate(Qwen3.Value);
        var shape = estimator.GetOutputSchema(ShapeOf<ChatRow>(ml));
        var columns = shape.ToDictionary(c => c.Name);
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, columns[EpisodeColumns.Tokens].Kind);
        Assert.AreEqual(NumberDataViewType.Int32, columns[EpisodeColumns.Tokens].ItemType);
        Assert.AreEqual(BooleanDataViewType.Instance, columns[EpisodeColumns.LossMask].ItemType);
        Assert.IsTrue(columns.ContainsKey("Messages"));
    }

    [TestMethod]
    public void Fit_MessagesNotText_ThrowsNamingColumnAndBothTypes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Messages = 3f } });
        var estimator = ml.MaskedSft().ApplyChatTemplate(Qwen3.Value);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, "Schema mismatch for column 'Messages' (one chat as JSON): expected String, got Single");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(ShapeOf<NumberRow>(ml)));
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MaskedSft().ApplyChatTemplate(Qwen3.Value, inputColumnName: "Chat").Fit(data));
        StringAssert.Contains(missing.Message, "Column 'Chat'");
    }

    [TestMethod]
    public void Transform_InvalidChat_ThrowsWhenTheRowIsReadNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ChatRow { Messages = """{"messages": [{"role": "robot", "content": "hi"}]}""" } });
        var transformed = ml.MaskedSft().ApplyChatTemplate(Qwen3.Value).Fit(data).Transform(data);
        var e = Assert.Throws<Exception>(() => ml.Data.CreateEnumerable<TokensRow>(transformed, false).ToList());
        var invalid = e as InvalidDataException ?? e.InnerException as InvalidDataException;
        Assert.IsNotNull(invalid, e.ToString());
        StringAssert.Contains(invalid.Message, "column 'Messages'");
        StringAssert.Contains(invalid.Message, "'robot'");
    }

    [TestMethod]
    public void Transform_TiktokenWithChatTokens_TrainsTheAssistantTextAndCannotBeSaved()
    {
        // ML.NET's own o200k tokenizer with ChatML's tokens added as special tokens.
        var tiktoken = TiktokenTokenizer.CreateForModel("gpt-4o", new Dictionary<string, int> { ["<|im_start|>"] = 200264, ["<|im_end|>"] = 200265 });
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ChatRow { Messages = Chat } });
        var model = ml.MaskedSft().ApplyChatTemplate(tiktoken, maxLength: 0).Fit(data);
        var row = ml.Data.CreateEnumerable<TokensRow>(model.Transform(data), false).Single();
        var trained = row.Tokens.Where((_, i) => row.LossMask[i]).ToArray();
        Assert.AreEqual("Paris.<|im_end|>", tiktoken.Decode(trained));
        Assert.AreEqual("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n", tiktoken.Decode(row.Tokens));

        var e = Assert.ThrowsExactly<NotSupportedException>(() => ml.Model.Save(model, data.Schema, Path.Combine(Path.GetTempPath(), "never.zip")));
        StringAssert.Contains(e.Message, "HuggingFaceTokenizer.FromFile");
        var gpt4 = TiktokenTokenizer.CreateForModel("gpt-4o");
        var missing = Assert.ThrowsExactly<ChatTemplateException>(() => ml.MaskedSft().ApplyChatTemplate(gpt4));
        StringAssert.Contains(missing.Message, "<|im_start|>");
    }

    [TestMethod]
    public void ModelSaveLoad_SameProcess_GivesTheSameRowsAndPredictions()
    {
        using var temp = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ChatRow { Messages = Chat }, new ChatRow { Messages = ChatArray } });
        var model = ml.MaskedSft().ApplyChatTemplate(new ChatTemplateEstimator.Options { Tokenizer = Qwen3.Value, MaxLength = 12, TrainOn = AssistantTurns.Last }).Fit(data);
        var before = ml.Data.CreateEnumerable<TokensRow>(model.Transform(data), false).ToList();
        string file = temp.Combine("chat.zip");
        ml.Model.Save(model, data.Schema, file);

        var loaded = new MLContext(seed: 2).Model.Load(file, out var schema);
        Assert.AreEqual("Messages", schema.Single().Name);
        var output = loaded.Transform(data);
        Assert.AreEqual("Messages,Tokens,LossMask", string.Join(",", output.Schema.Where(c => !c.IsHidden).Select(c => c.Name)), "internal columns are dropped");
        var after = ml.Data.CreateEnumerable<TokensRow>(output, false).ToList();
        Assert.HasCount(12, before[0].Tokens, "MaxLength truncates");
        for (int i = 0; i < before.Count; i++)
        {
            CollectionAssert.AreEqual(before[i].Tokens, after[i].Tokens);
            CollectionAssert.AreEqual(before[i].LossMask, after[i].LossMask);
        }

        var engine = ml.Model.CreatePredictionEngine<ChatRow, TokensRow>(loaded);
        CollectionAssert.AreEqual(before[1].Tokens, engine.Predict(new ChatRow { Messages = ChatArray }).Tokens);
    }

    /// <summary>The schema shape of a row class. SchemaShape.Create is internal in ML.NET 5; an empty shape passed through a
    /// CustomMapping estimator that adds the class's columns is the public way to make one.</summary>
    internal static SchemaShape ShapeOf<T>(MLContext ml)
        where T : class, new() =>
        ml.Transforms.CustomMapping<MaskedSft.MLNet.Pipelines.Mappings.NoColumns, T>((_, _) => { }, contractName: null).GetOutputSchema(new SchemaShape([]));

    /// <summary>A chat cell.</summary>
    public sealed class ChatRow
    {
        public string Messages { get; set; } = "";
    }

    /// <summary>A chat column of the wrong type.</summary>
    public sealed class NumberRow
    {
        public float Messages { get; set; }
    }

    /// <summary>The transform's outputs.</summary>
    public sealed class TokensRow
    {
        public int[] Tokens { get; set; } = [];

        public bool[] LossMask { get; set; } = [];
    }
}
