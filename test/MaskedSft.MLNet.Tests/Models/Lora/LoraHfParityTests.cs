// Parity with peft on the committed adapters of Fixtures/HfModels (qwen2-lora: all seven projections, non-zero B;
// llama-gqa-rslora: q/v with rsLoRA on the bf16 sharded Llama): log-probs within 1e-4, merged = unmerged, disabled = base,
// greedy generation (KV cache) with the adapter, and our saved adapter holding peft's tensors under peft's names.
using System.Text.Json;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tests.Safetensors;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Models.Lora;

[TestClass]
[DoNotParallelize]
public sealed class LoraHfParityTests
{
    private const double LogProbTolerance = 1e-4;

    [TestMethod]
    [DataRow("qwen2-lora")]
    [DataRow("llama-gqa-rslora")]
    public void PeftAdapter_LogProbsMatchPeftMergedEqualsUnmergedDisabledEqualsBase(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        var root = reference.RootElement;
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(root.GetProperty("base").GetString()!));
        var cases = root.GetProperty("logprobs").EnumerateArray().ToList();
        var sequences = cases.Select(c => (IReadOnlyList<int>)HfModelFixtures.Ints(c.GetProperty("ids"))).ToList();
        var baseLogProbs = SequenceLogProbs.Compute(model, sequences);

        using var lora = LoraModel.Load(model, HfModelFixtures.Folder(fixture));
        var adapter = root.GetProperty("adapter");
        CollectionAssert.AreEquivalent(adapter.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).ToArray(), lora.Config.TargetModules.Names!.ToArray());
        Assert.AreEqual(adapter.GetProperty("use_rslora").GetBoolean(), lora.Config.UseRsLora);
        Assert.IsTrue(lora.Layers.All(l => Math.Abs(l.Scaling - adapter.GetProperty("scaling").GetDouble()) < 1e-6), "peft's scaling");
        Assert.AreEqual(2 * adapter.GetProperty("target_modules").GetArrayLength(), lora.Layers.Count, "every target in both layers");

        var adapted = SequenceLogProbs.Compute(model, sequences, batchSize: 4, chunkSize: 7);
        float[][] disabled;
        using (lora.DisableAdapters())
        {
            disabled = SequenceLogProbs.Compute(model, sequences);
        }

        lora.Merge();
        var merged = SequenceLogProbs.Compute(model, sequences);
        lora.Unmerge();
        var shift = 0.0;
        for (var i = 0; i < cases.Count; i++)
        {
            var name = $"{fixture}/{cases[i].GetProperty("name").GetString()}";
            var expected = HfModelFixtures.Doubles(cases[i].GetProperty("logprobs"));
            var expectedDisabled = HfModelFixtures.Doubles(cases[i].GetProperty("logprobs_adapter_disabled"));
            Assert.IsTrue(MaxDiff(expected, adapted[i]) < LogProbTolerance, $"{name}: adapter vs peft max |Δ| = {MaxDiff(expected, adapted[i]):E2}");
            Assert.IsTrue(MaxDiff(expected, merged[i]) < LogProbTolerance, $"{name}: merged vs peft max |Δ| = {MaxDiff(expected, merged[i]):E2}");
            Assert.IsTrue(MaxDiff(merged[i].Select(v => (double)v).ToArray(), adapted[i]) < 2e-5, $"{name}: merged vs unmerged (measured <= 4.8e-6)");
            CollectionAssert.AreEqual(baseLogProbs[i], disabled[i], $"{name}: disabled = base, bit for bit");
            Assert.IsTrue(MaxDiff(expectedDisabled, disabled[i]) < LogProbTolerance, $"{name}: disabled vs peft's disable_adapter");
            shift = Math.Max(shift, MaxDiff(expectedDisabled, adapted[i]));
        }

        Assert.IsTrue(shift > 0.5, $"the adapter moves the log-probs (max {shift:F2}), so the comparison can fail");
    }

    [TestMethod]
    [DataRow("qwen2-lora")]
    [DataRow("llama-gqa-rslora")]
    public void PeftAdapter_GreedyGenerationWithKvCache_SameIdsAsPeft(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        var root = reference.RootElement;
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(root.GetProperty("base").GetString()!));
        using var lora = LoraModel.Load(model, HfModelFixtures.Folder(fixture));
        var generation = root.GetProperty("generation");
        var options = DecodingOptions.FromGenerationConfig(model.GenerationConfig, generation.GetProperty("max_new_tokens").GetInt32());
        foreach (var single in generation.GetProperty("single").EnumerateArray())
        {
            var name = $"{fixture}/{single.GetProperty("name").GetString()}";
            if (single.GetProperty("min_top2_margin").GetDouble() < 1e-3) continue;   // a near tie fp32 may break either way
            var result = CausalLmGenerator.Generate(model, [HfModelFixtures.Ints(single.GetProperty("prompt_ids"))], options)[0];
            CollectionAssert.AreEqual(HfModelFixtures.Ints(single.GetProperty("new_ids")), result.TokenIds, name);
        }
    }

    [TestMethod]
    [DataRow("qwen2-lora")]
    [DataRow("llama-gqa-rslora")]
    public void PeftAdapter_SavedAgain_SameTensorsUnderPeftNamesAndSameConfig(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(reference.RootElement.GetProperty("base").GetString()!));
        using var lora = LoraModel.Load(model, HfModelFixtures.Folder(fixture));
        using var dir = new TempDirectory();
        lora.Save(dir.Path);

        using (var original = SafetensorsFile.Open(Path.Combine(HfModelFixtures.Folder(fixture), "adapter_model.safetensors")))
        using (var saved = SafetensorsFile.Open(dir.File("adapter_model.safetensors")))
        {
            CollectionAssert.AreEquivalent(original.Tensors.Select(t => t.Name).ToArray(), saved.Tensors.Select(t => t.Name).ToArray());
            foreach (var info in original.Tensors)
            {
                Assert.AreEqual(info.DType, saved.GetInfo(info.Name).DType, info.Name);
                CollectionAssert.AreEqual(original.ReadBytes(info.Name), saved.ReadBytes(info.Name), info.Name);
            }
        }

        using var peftConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(HfModelFixtures.Folder(fixture), "adapter_config.json")));
        using var ourConfig = JsonDocument.Parse(File.ReadAllBytes(dir.File("adapter_config.json")));
        foreach (var field in new[] { "peft_type", "r", "lora_alpha", "lora_dropout", "use_rslora", "bias", "task_type", "fan_in_fan_out", "use_dora", "base_model_name_or_path" })
        {
            Assert.AreEqual(peftConfig.RootElement.GetProperty(field).GetRawText(), ourConfig.RootElement.GetProperty(field).GetRawText(), field);
        }

        CollectionAssert.AreEquivalent(
            peftConfig.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).ToArray(),
            ourConfig.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()).ToArray());
        var ourFields = ourConfig.RootElement.EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.IsTrue(ourFields.IsSubsetOf(peftConfig.RootElement.EnumerateObject().Select(p => p.Name)), "every field we write is one peft 0.21 writes");
    }

    private static double MaxDiff(double[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
    }
}
