// Tests of peft's adapter folder format: adapter_config.json field names, adapter_model.safetensors keys, round trips, errors.
using System.Text.Json;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Tests.Safetensors;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Models.Lora;

[TestClass]
[DoNotParallelize]
public sealed class PeftAdapterFormatTests
{
    /// <summary>adapter_config.json exactly as peft 0.18.1's save_pretrained writes it (fields, order, defaults), for the
    /// test model's q_proj and v_proj with r = 4 and alpha = 8.</summary>
    private const string Peft018Config = """
        {
          "alora_invocation_tokens": null,
          "alpha_pattern": {},
          "arrow_config": null,
          "auto_mapping": null,
          "base_model_name_or_path": "tiny-hf-lm",
          "bias": "none",
          "corda_config": null,
          "ensure_weight_tying": false,
          "eva_config": null,
          "exclude_modules": null,
          "fan_in_fan_out": false,
          "inference_mode": true,
          "init_lora_weights": true,
          "layer_replication": null,
          "layers_pattern": null,
          "layers_to_transform": null,
          "loftq_config": {},
          "lora_alpha": 8,
          "lora_bias": false,
          "lora_dropout": 0.05,
          "megatron_config": null,
          "megatron_core": "megatron.core",
          "modules_to_save": null,
          "peft_type": "LORA",
          "peft_version": "0.18.1",
          "qalora_group_size": 16,
          "r": 4,
          "rank_pattern": {},
          "revision": null,
          "target_modules": [
            "v_proj",
            "q_proj"
          ],
          "target_parameters": null,
          "task_type": "CAUSAL_LM",
          "trainable_token_indices": null,
          "use_dora": false,
          "use_qalora": false,
          "use_rslora": false
        }
        """;

    [TestMethod]
    public void Save_WritesPeftConfigAndTensorNames()
    {
        using var model = new TinyHfLm();
        using var lora = LoraModel.Create(model, new LoraConfig
        {
            TargetModules = ModuleSelector.FromNames("q_proj", "v_proj"),
            Rank = 4,
            Alpha = 16,
            Dropout = 0.05,
            UseRsLora = true,
            BaseModelNameOrPath = "Qwen/Qwen2.5-0.5B",
        });
        using var dir = new TempDirectory();
        lora.Save(dir.Path);
        CollectionAssert.AreEquivalent(new[] { "adapter_config.json", "adapter_model.safetensors" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("adapter_config.json")));
        var root = json.RootElement;
        Assert.AreEqual("LORA", root.GetProperty("peft_type").GetString());
        Assert.AreEqual(4, root.GetProperty("r").GetInt32());
        Assert.AreEqual(16, root.GetProperty("lora_alpha").GetInt32());
        Assert.AreEqual(0.05, root.GetProperty("lora_dropout").GetDouble());
        Assert.IsTrue(root.GetProperty("use_rslora").GetBoolean());
        Assert.AreEqual("none", root.GetProperty("bias").GetString());
        Assert.AreEqual("CAUSAL_LM", root.GetProperty("task_type").GetString());
        Assert.AreEqual("Qwen/Qwen2.5-0.5B", root.GetProperty("base_model_name_or_path").GetString());
        Assert.IsFalse(root.GetProperty("fan_in_fan_out").GetBoolean());
        Assert.IsFalse(root.GetProperty("use_dora").GetBoolean());
        Assert.IsTrue(root.GetProperty("init_lora_weights").GetBoolean());
        CollectionAssert.AreEqual(new[] { "q_proj", "v_proj" }, root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).ToArray());
        using (var peftStyle = JsonDocument.Parse(Peft018Config))
        {
            var expectedFields = peftStyle.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "peft_version").ToArray();
            CollectionAssert.AreEqual(expectedFields, root.EnumerateObject().Select(p => p.Name).ToArray(), "peft 0.18's fields, sorted as peft writes them");
        }

        using var file = SafetensorsFile.Open(dir.File("adapter_model.safetensors"));
        Assert.AreEqual("pt", file.Metadata["format"]);
        CollectionAssert.AreEquivalent(
            new[]
            {
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight", "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight",
            },
            file.Tensors.Select(t => t.Name).ToArray());
        var a = file.GetInfo("base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight");
        Assert.AreEqual(SafetensorsDType.F32, a.DType);
        CollectionAssert.AreEqual(new long[] { 4, 16 }, a.GetShapeArray());
        CollectionAssert.AreEqual(new long[] { 8, 4 }, file.GetInfo("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").GetShapeArray());
    }

    [TestMethod]
    public void SaveThenLoad_OntoAFreshBaseModel_ReproducesTheOutputsBitForBit()
    {
        using var dir = new TempDirectory();
        using var scope = new DisposeScope();
        var ids = LoraModelTests.Ids(2, 6, 32, 21);
        float[] expected;
        using (var model = new TinyHfLm(seed: 3))
        using (var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromPattern(@".*\.(q_proj|down_proj)"), Rank = 3, Alpha = 5, RankPattern = new Dictionary<string, int> { ["down_proj"] = 2 }, Init = LoraInit.Random }, seed: 4))
        {
            model.Eval();
            expected = model.Forward(ids).ToArray<float>();
            lora.Save(dir.Path);
        }

        using var fresh = new TinyHfLm(seed: 3);
        fresh.Eval();
        using var loaded = LoraModel.Load(fresh, dir.Path);
        CollectionAssert.AreEqual(expected, fresh.Forward(ids).ToArray<float>());
        Assert.AreEqual(@".*\.(q_proj|down_proj)", loaded.Config.TargetModules.Pattern);
        Assert.AreEqual(2, loaded.Layers.Single(l => l.Path == "model.layers.0.mlp.down_proj").Rank);
        Assert.IsFalse(loaded.Parameters().Any(p => p.RequiresGrad), "loaded for inference by default (peft's is_trainable=False)");
        Assert.IsFalse(fresh.Parameters().Any(p => p.RequiresGrad));
    }

    [TestMethod]
    public void Load_Trainable_AdaptersRequireGrad()
    {
        using var dir = new TempDirectory();
        using (var model = new TinyHfLm())
        using (var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("o_proj") }))
        {
            lora.Save(dir.Path);
        }

        using var again = new TinyHfLm();
        using var trainable = LoraModel.Load(again, dir.Path, trainable: true);
        Assert.IsTrue(trainable.Parameters().All(p => p.RequiresGrad));
    }

    [TestMethod]
    public void Save_AllLinear_WritesTheResolvedModuleList()
    {
        using var model = new TinyHfLm(layers: 1);
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.AllLinear });
        using var dir = new TempDirectory();
        lora.Save(dir.Path);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("adapter_config.json")));
        var targets = json.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()!).ToArray();
        CollectionAssert.AreEqual(lora.TargetPaths.ToArray(), targets);
        Assert.AreEqual(7, targets.Length);
        using var again = new TinyHfLm(layers: 1);
        using var loaded = LoraModel.Load(again, dir.Path);
        CollectionAssert.AreEqual(targets, loaded.TargetPaths.ToArray());
    }

    [TestMethod]
    public void Load_Peft018FolderWithBf16Weights_MatchesTheLoRAFormula()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("adapter_config.json"), Peft018Config);
        using var scope = new DisposeScope();
        using var g = Generator.Create(31);
        var writer = new SafetensorsWriter().SetMetadata("format", "pt");
        var values = new Dictionary<string, Tensor>();
        foreach (var layer in new[] { 0, 1 })
        {
            foreach (var (proj, outFeatures) in new[] { ("q_proj", 16L), ("v_proj", 8L) })
            {
                var prefix = $"base_model.model.model.layers.{layer}.self_attn.{proj}";
                values[$"{prefix}.lora_A.weight"] = TorchOps.Randn([4, 16], g).To(ScalarType.BFloat16);          // (r, in)
                values[$"{prefix}.lora_B.weight"] = TorchOps.Randn([outFeatures, 4], g).To(ScalarType.BFloat16); // (out, r)
            }
        }

        foreach (var (name, t) in values) writer.AddTensor(name, t);
        writer.Save(dir.File("adapter_model.safetensors"));

        using var model = new TinyHfLm();
        model.Eval();
        using var lora = LoraModel.Load(model, dir.Path);
        Assert.AreEqual("tiny-hf-lm", lora.Config.BaseModelNameOrPath);
        Assert.AreEqual(0.05, lora.Config.Dropout);
        var v1 = lora.Layers.Single(l => l.Path == "model.layers.1.self_attn.v_proj");
        Assert.AreEqual(ScalarType.Float32, v1.A.DType, "adapters are float32 in memory (peft's autocast)");
        CollectionAssert.AreEqual(values["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].To(ScalarType.Float32).ToArray<float>(), v1.B.ToArray<float>());
        var x = TorchOps.Randn([2, 3, 16], g);
        var expected = TorchOps.Linear(x, v1.BaseLayer.Weight, v1.BaseLayer.Bias).Add(x.Matmul(v1.A.Transpose(0, 1)).Matmul(v1.B.Transpose(0, 1)).Mul(2.0));
        LoraModelTests.AssertClose(expected.ToArray<float>(), v1.BaseLayer.Forward(x).ToArray<float>(), 1e-5, "y = x Wᵀ + b + x Aᵀ Bᵀ · alpha/r");
    }

    [TestMethod]
    [DataRow("\"use_dora\": false", "\"use_dora\": true", "DoRA")]
    [DataRow("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"", "only LoRA adapters")]
    [DataRow("\"bias\": \"none\"", "\"bias\": \"lora_only\"", "bias is 'lora_only'")]
    [DataRow("\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true", "fan_in_fan_out")]
    [DataRow("\"modules_to_save\": null", "\"modules_to_save\": [\"lm_head\"]", "modules_to_save")]
    [DataRow("\"lora_bias\": false", "\"lora_bias\": true", "lora_bias")]
    [DataRow("\"peft_version\": \"0.18.1\"", "\"future_feature\": {\"on\": 1}", "unknown LoRA option future_feature")]
    public void Load_UnsupportedPeftFeature_NamedInTheError(string field, string replacement, string expected)
    {
        using var dir = new TempDirectory();
        WriteValidFolder(dir);
        File.WriteAllText(dir.File("adapter_config.json"), Peft018Config.Replace(field, replacement, StringComparison.Ordinal));
        using var model = new TinyHfLm();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => LoraModel.Load(model, dir.Path));
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, "adapter_config.json");
        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad), "a failed load leaves the model as it was");
    }

    [TestMethod]
    public void Load_WeightsOfAnotherRank_NamesTensorExpectedAndActualShape()
    {
        using var dir = new TempDirectory();
        WriteValidFolder(dir);
        File.WriteAllText(dir.File("adapter_config.json"), Peft018Config.Replace("\"r\": 4", "\"r\": 8", StringComparison.Ordinal));
        using var model = new TinyHfLm();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => LoraModel.Load(model, dir.Path));
        StringAssert.Contains(e.Message, "'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 16]");
        StringAssert.Contains(e.Message, "needs A (r, in) = [8, 16]");
        StringAssert.Contains(e.Message, "tiny-hf-lm");
        Assert.IsTrue(model.NamedModules().Select(m => m.Module).OfType<MaskedSft.Torch.Nn.Linear>().All(l => l.Adapter is null), "a failed load detaches what it attached");
    }

    [TestMethod]
    public void Load_MissingOrUnexpectedTensors_ClearErrors()
    {
        using var model = new TinyHfLm();
        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir, drop: "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => LoraModel.Load(model, dir.Path)).Message, "missing: 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'");
        }

        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir, extra: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector");
            var e = Assert.ThrowsExactly<InvalidDataException>(() => LoraModel.Load(model, dir.Path));
            StringAssert.Contains(e.Message, "lora_magnitude_vector");
            StringAssert.Contains(e.Message, "DoRA");
        }

        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir, extra: "model.layers.0.self_attn.k_proj.lora_A.weight");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => LoraModel.Load(model, dir.Path)).Message, "keys start with 'base_model.model.'");
        }

        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir);
            File.Delete(dir.File("adapter_model.safetensors"));
            Assert.ThrowsExactly<FileNotFoundException>(() => LoraModel.Load(model, dir.Path));
            File.Delete(dir.File("adapter_config.json"));
            StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => LoraModel.Load(model, dir.Path)).Message, "adapter_config.json");
        }

        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir);
            File.WriteAllText(dir.File("adapter_config.json"), Peft018Config.Replace("\"q_proj\"", "\"c_attn\"", StringComparison.Ordinal).Replace("\"v_proj\",", string.Empty, StringComparison.Ordinal));
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Load(model, dir.Path)).Message, "[c_attn] matched no module");
        }

        using (var dir = new TempDirectory())
        {
            WriteValidFolder(dir);
            File.WriteAllText(dir.File("adapter_config.json"), Peft018Config.Replace("\"r\": 4", "\"r\": \"four\"", StringComparison.Ordinal));
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => LoraModel.Load(model, dir.Path)).Message, "r must be an integer; got \"four\"");
        }

        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad));
    }

    /// <summary>Writes <see cref="Peft018Config"/> and matching float32 weights for <see cref="TinyHfLm"/>'s q_proj and
    /// v_proj, optionally without one tensor or with one more.</summary>
    private static void WriteValidFolder(TempDirectory dir, string? drop = null, string? extra = null)
    {
        File.WriteAllText(dir.File("adapter_config.json"), Peft018Config);
        using var scope = new DisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var layer in new[] { 0, 1 })
        {
            foreach (var (proj, outFeatures) in new[] { ("q_proj", 16L), ("v_proj", 8L) })
            {
                tensors[$"base_model.model.model.layers.{layer}.self_attn.{proj}.lora_A.weight"] = TorchOps.Ones([4, 16]);
                tensors[$"base_model.model.model.layers.{layer}.self_attn.{proj}.lora_B.weight"] = TorchOps.Zeros([outFeatures, 4]);
            }
        }

        if (drop is not null) tensors.Remove(drop);
        if (extra is not null) tensors[extra] = TorchOps.Ones([16]);
        SafetensorsTensorIO.Save(dir.File("adapter_model.safetensors"), tensors);
    }
}
