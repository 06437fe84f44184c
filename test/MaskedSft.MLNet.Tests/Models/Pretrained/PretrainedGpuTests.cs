// GPU tests of the pretrained models (TestCategory "GPU"): float32 parity with transformers through the fused CUDA attention,
// bf16 as the CUDA default, KV-cache passes and gradient checkpointing on CUDA (backward calls back from the device's
// autograd thread). Skipped without CUDA; run with scripts/gpu/run-gpu-tests.sh.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Torch;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class PretrainedGpuTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void LogProbsAndGreedy_Float32OnCuda_MatchTransformers(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(fixture), new PretrainedModelOptions { Device = Gpu, DType = ScalarType.Float32 });
        Assert.AreEqual(Gpu, model.Device);
        var cases = reference.RootElement.GetProperty("logprobs").EnumerateArray().ToList();
        var got = SequenceLogProbs.Compute(model, cases.Select(c => (IReadOnlyList<int>)HfModelFixtures.Ints(c.GetProperty("ids"))).ToList(), batchSize: 4);
        var worst = cases.SelectMany((c, i) => HfModelFixtures.Doubles(c.GetProperty("logprobs")).Select((e, j) => Math.Abs(e - got[i][j]))).Max();
        Assert.IsTrue(worst < 1e-4, $"{fixture}: max |Δ log p| = {worst:E2} on CUDA float32");
        var generation = reference.RootElement.GetProperty("generation");
        var options = DecodingOptions.FromGenerationConfig(model.GenerationConfig, generation.GetProperty("max_new_tokens").GetInt32());
        foreach (var single in generation.GetProperty("single").EnumerateArray())
        {
            var result = CausalLmGenerator.Generate(model, [HfModelFixtures.Ints(single.GetProperty("prompt_ids"))], options)[0];
            CollectionAssert.AreEqual(HfModelFixtures.Ints(single.GetProperty("new_ids")), result.TokenIds, $"{fixture}/{single.GetProperty("name").GetString()}");
        }
    }

    [TestMethod]
    public void Load_CudaWithoutDType_Bfloat16CloseToReference()
    {
        using var reference = HfModelFixtures.Reference("llama-gqa-sharded");
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("llama-gqa-sharded"), new PretrainedModelOptions { Device = Gpu });
        Assert.AreEqual(ScalarType.BFloat16, model.DType, "bf16 is the CUDA default");
        var cases = reference.RootElement.GetProperty("logprobs").EnumerateArray().ToList();
        var got = SequenceLogProbs.Compute(model, cases.Select(c => (IReadOnlyList<int>)HfModelFixtures.Ints(c.GetProperty("ids"))).ToList());
        var diffs = cases.SelectMany((c, i) => HfModelFixtures.Doubles(c.GetProperty("logprobs")).Select((e, j) => Math.Abs(e - got[i][j]))).ToList();
        Console.WriteLine($"bf16 on CUDA vs transformers float32: mean |Δ log p| {diffs.Average():E2}, max {diffs.Max():E2}");
        Assert.IsTrue(diffs.Average() < 0.1 && diffs.Max() < 1.0, $"bf16 log-probs drift: mean {diffs.Average():E2}, max {diffs.Max():E2}");
    }

    [TestMethod]
    public void ForwardHiddenWithCache_Bfloat16OnCuda_CloseToFullPass()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        model.To(Gpu, ScalarType.BFloat16);
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 9, 5).To(Gpu);
        var mask = Tensor.FromArray(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 2, 9).To(Gpu);
        using var noGrad = new NoGradScope();
        var full = model.ForwardHidden(new CausalLmInput(ids) { AttentionMask = mask, PositionIds = SequenceLogProbs.PaddedPositions(mask.Ne(0L)) });
        using var cache = model.CreateKvCache(2, 9);
        var parts = new List<Tensor> { model.ForwardHidden(new CausalLmInput(ids.Narrow(1, 0, 6)) { AttentionMask = mask.Narrow(1, 0, 6) }, cache) };
        for (var t = 6; t < 9; t++) parts.Add(model.ForwardHidden(new CausalLmInput(ids.Narrow(1, t, 1)), cache));
        var cached = TorchOps.Cat(parts, 1);
        var scale = full.To(ScalarType.Float32).Abs().Max().Item<float>();
        var diff = SmallPretrainedModels.MaxDiff(full.Narrow(1, 2, 7), cached.Narrow(1, 2, 7));
        Assert.IsTrue(diff < 0.03 * scale, $"bf16 cache vs full: {diff} (scale {scale})");
    }

    [TestMethod]
    public void GradientCheckpointing_OnCuda_SameGradients()
    {
        using var scope = new DisposeScope();
        using var plain = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3, seed: 3);
        using var checkpointed = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3, seed: 3);
        plain.To(Gpu);
        checkpointed.To(Gpu);
        checkpointed.GradientCheckpointing = true;
        var ids = SmallPretrainedModels.Tokens(plain.VocabSize, 2, 8, 9).To(Gpu);
        foreach (var m in new[] { plain, checkpointed })
        {
            SequenceLogProbs.Compute(m, ids).Sum().Backward();
        }

        foreach (var ((n, a), (_, b)) in plain.NamedParameters().Zip(checkpointed.NamedParameters()))
        {
            Assert.IsTrue(SmallPretrainedModels.MaxDiff(a.Grad!, b.Grad!) < 1e-5, $"{n}: gradients differ on CUDA");
        }
    }
}
