// Reading config.json and generation_config.json: both transformers styles, transformers' defaults, and errors that name
// the file, the field and a hint.
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
public sealed class PretrainedLmConfigTests
{
    private const string Qwen3Minimal = """
        {"architectures": ["Qwen3ForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96,
         "num_hidden_layers": 2, "num_attention_heads": 4, "rope_theta": 1000000.0, "torch_dtype": "bfloat16",
         "eos_token_id": 7}
        """;

    [TestMethod]
    public void Parse_Qwen3WithoutOptionalFields_TransformersDefaults()
    {
        var c = PretrainedLmConfig.Parse(Qwen3Minimal);
        Assert.AreEqual(PretrainedArchitecture.Qwen3, c.Architecture);
        Assert.AreEqual(128, c.HeadDim, "Qwen3Config's head_dim default");
        Assert.AreEqual(4, c.NumKeyValueHeads, "num_key_value_heads defaults to num_attention_heads");
        Assert.AreEqual(1e-6, c.RmsNormEps);
        Assert.AreEqual(32768, c.MaxPositionEmbeddings);
        Assert.IsFalse(c.TieWordEmbeddings);
        Assert.AreEqual(new RopeParameters { Theta = 1e6 }, c.Rope);
        Assert.AreEqual(ScalarType.BFloat16, c.TorchDType);
        CollectionAssert.AreEqual(new[] { 7 }, c.EosTokenIds.ToArray());
        Assert.IsTrue(c.HasQkNorm && !c.HasQkvBias && !c.HasOutputBias);
    }

    [TestMethod]
    public void Parse_LegacyRopeScalingTypeKey_Linear()
    {
        var c = PretrainedLmConfig.Parse(Qwen3Minimal.Replace("\"rope_theta\": 1000000.0", "\"rope_theta\": 10.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 3}", StringComparison.Ordinal));
        Assert.AreEqual(new RopeParameters { Type = RopeType.Linear, Theta = 10, Factor = 3 }, c.Rope);
    }

    [TestMethod]
    public void ToJson_ThenParse_SameConfigInBothStyles()
    {
        var original = SmallPretrainedModels.LlamaGqa;
        var json = original.ToJson(ScalarType.BFloat16);
        var again = PretrainedLmConfig.Parse(json);
        Assert.AreEqual(original with { TorchDType = ScalarType.BFloat16, EosTokenIds = [] }, again with { Source = null, EosTokenIds = [] });
        CollectionAssert.AreEqual(original.EosTokenIds.ToArray(), again.EosTokenIds.ToArray());
        var o = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.AreEqual("llama3", (string?)o["rope_scaling"]!["rope_type"], "4.x readers take rope_scaling");
        Assert.AreEqual(500.0, (double)o["rope_parameters"]!["rope_theta"]!, "5.x readers take rope_parameters");
        Assert.AreEqual(500.0, (double)o["rope_theta"]!);
        Assert.AreEqual("bfloat16", (string?)o["torch_dtype"]);
        Assert.AreEqual("bfloat16", (string?)o["dtype"]);
        var withoutScaling = o.DeepClone().AsObject();
        withoutScaling.Remove("rope_scaling");
        withoutScaling.Remove("rope_theta");
        Assert.AreEqual(original.Rope, PretrainedLmConfig.Parse(withoutScaling.ToJsonString()).Rope, "rope_parameters alone");
    }

    [TestMethod]
    public void Parse_UnknownArchitecture_ListsSupported()
    {
        var e = Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(Qwen3Minimal.Replace("Qwen3ForCausalLM", "MistralForCausalLM", StringComparison.Ordinal), "/m/config.json"));
        Assert.AreEqual("architectures", e.Field);
        Assert.AreEqual("/m/config.json", e.FilePath);
        StringAssert.Contains(e.Message, "'MistralForCausalLM' is not supported");
        StringAssert.Contains(e.Message, "LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
        StringAssert.Contains(e.Message, "Hint:");
    }

    [TestMethod]
    public void Parse_UnsupportedRopeType_NamesFieldAndSupportedTypes()
    {
        var json = Qwen3Minimal.Replace("\"rope_theta\": 1000000.0", "\"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 1e6, \"factor\": 4}", StringComparison.Ordinal);
        var e = Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(json));
        Assert.AreEqual("rope_parameters.rope_type", e.Field);
        StringAssert.Contains(e.Message, "rope type 'yarn' is not supported; supported: default, linear, llama3");
    }

    [TestMethod]
    public void Parse_Llama3RopeMissingFactor_NamesField()
    {
        var json = Qwen3Minimal.Replace("\"rope_theta\": 1000000.0", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8, \"low_freq_factor\": 1, \"original_max_position_embeddings\": 8192}", StringComparison.Ordinal);
        var e = Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(json));
        Assert.AreEqual("rope_scaling.high_freq_factor", e.Field);
        StringAssert.Contains(e.Message, "missing");
    }

    [TestMethod]
    [DataRow("\"hidden_size\": 64,", "hidden_size", "missing")]
    [DataRow("\"num_hidden_layers\": 2,", "num_hidden_layers", "missing")]
    [DataRow("\"hidden_size\": 64,", "hidden_size", "expected an integer", "\"hidden_size\": \"64\",")]
    [DataRow("\"torch_dtype\": \"bfloat16\",", "torch_dtype", "'int8' is not a supported dtype", "\"torch_dtype\": \"int8\",")]
    [DataRow("\"num_attention_heads\": 4,", "num_key_value_heads", "does not divide", "\"num_attention_heads\": 4, \"num_key_value_heads\": 3,")]
    public void Parse_BadField_ErrorNamesFileFieldAndHint(string remove, string field, string problem, string? replacement = null)
    {
        var json = Qwen3Minimal.Replace(remove, replacement ?? string.Empty, StringComparison.Ordinal);
        var e = Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(json, "/models/x/config.json"));
        Assert.AreEqual(field, e.Field);
        StringAssert.StartsWith(e.Message, "/models/x/config.json: field '" + field + "'");
        StringAssert.Contains(e.Message, problem);
        StringAssert.Contains(e.Message, "Hint:");
    }

    [TestMethod]
    public void Parse_SlidingWindowOrOtherActivation_Rejected()
    {
        Assert.AreEqual("use_sliding_window", Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(Qwen3Minimal.Replace("\"eos_token_id\": 7", "\"eos_token_id\": 7, \"use_sliding_window\": true", StringComparison.Ordinal))).Field);
        Assert.AreEqual("hidden_act", Assert.ThrowsExactly<ModelConfigException>(() => PretrainedLmConfig.Parse(Qwen3Minimal.Replace("\"eos_token_id\": 7", "\"eos_token_id\": 7, \"hidden_act\": \"gelu\"", StringComparison.Ordinal))).Field);
    }

    [TestMethod]
    public void Load_MissingFile_FileNotFoundWithHint()
    {
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => PretrainedLmConfig.Load("/nonexistent/model"));
        StringAssert.Contains(e.Message, "config.json");
    }

    [TestMethod]
    public void GenerationConfigParse_EosListSamplingFields_DefaultsAndRoundTrip()
    {
        var g = GenerationConfig.Parse("""{"eos_token_id": [5, 9], "pad_token_id": 2, "do_sample": true, "temperature": 0.7, "top_p": 0.8, "future_field": 1}""");
        CollectionAssert.AreEqual(new[] { 5, 9 }, g.EosTokenIds.ToArray());
        Assert.AreEqual(50, g.TopK, "transformers' default top_k");
        Assert.AreEqual(0.8, g.TopP);
        var again = GenerationConfig.Parse(g.ToJson());
        Assert.AreEqual(g with { Source = null, EosTokenIds = [] }, again with { Source = null, EosTokenIds = [] });
        StringAssert.Contains(g.ToJson(), "future_field");
        var e = Assert.ThrowsExactly<ModelConfigException>(() => GenerationConfig.Parse("""{"top_p": 1.5}"""));
        Assert.AreEqual("top_p", e.Field);
    }
}
