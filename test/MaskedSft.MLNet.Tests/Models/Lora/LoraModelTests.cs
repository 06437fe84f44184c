// Tests of LoRA injection by module name, the adapter forward pass, initialisation, enable/disable, merge and detach.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Tests.Models.Lora;

[TestClass]
[DoNotParallelize]
public sealed class LoraModelTests
{
    /// <summary>2^-23: the spacing of float32 values at 1 (a rounding moves a value by at most half of it, relatively).</summary>
    private const double Fp32Epsilon = 1.0 / (1 << 23);

    private static readonly string[] AttentionAndMlp = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    [TestMethod]
    public void Create_LastNameTargets_AdaptsOnlyThoseLinearsAndFreezesTheBase()
    {
        using var model = new TinyHfLm(layers: 2);
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "v_proj"), Rank = 4, Alpha = 8 });
        CollectionAssert.AreEqual(
            new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" },
            lora.TargetPaths.ToArray());
        CollectionAssert.AreEqual(
            new[] { "model.layers.0.self_attn.q_proj.lora_A.weight", "model.layers.0.self_attn.q_proj.lora_B.weight" },
            lora.NamedParameters().Take(2).Select(p => p.Name).ToArray());
        var v = lora.Layers[1];
        CollectionAssert.AreEqual(new long[] { 4, 16 }, v.A.Shape);   // (r, in)
        CollectionAssert.AreEqual(new long[] { 8, 4 }, v.B.Shape);    // (out = 2 kv heads x 4, r)
        Assert.AreEqual(2.0, v.Scaling);
        Assert.IsTrue(lora.Parameters().All(p => p.RequiresGrad));
        Assert.IsFalse(model.Parameters().Any(p => p.RequiresGrad), "every base parameter is frozen");
        Assert.AreEqual(2 * ((4 * 16) + (16 * 4) + (4 * 16) + (8 * 4)), lora.ParameterCount);   // 2 layers x (q: A + B, v: A + B)
        Assert.AreEqual(model.NamedParameters().Count(), model.NamedParameters().Count(p => !p.Name.Contains("lora", StringComparison.Ordinal)), "the base model's own parameter list is unchanged");
    }

    [TestMethod]
    public void Create_TinyGptLinears_AdaptsFusedAttentionProjectionsAndMlp()
    {
        using var model = new TinyGpt(new GptConfig { VocabSize = 32, BlockSize = 8, Layers = 2, Heads = 2, EmbeddingSize = 16, Dropout = 0 });
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("c_attn", "c_proj", "c_fc") });
        CollectionAssert.AreEqual(
            new[] { "transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj" },
            lora.TargetPaths.Take(4).ToArray());
        Assert.AreEqual(8, lora.Layers.Count);
    }

    [TestMethod]
    public void Create_DefaultInit_AIsKaimingUniformBIsZeroAndOutputsEqualTheBase()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(2, 6, model.Vocab, 3);
        var before = model.Forward(ids).ToArray<float>();
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AttentionAndMlp), Rank = 8, Alpha = 16 }, seed: 5);
        foreach (var layer in lora.Layers)
        {
            var bound = 1.0 / Math.Sqrt(layer.BaseLayer.InFeatures);
            var a = layer.A.ToArray<float>();
            Assert.IsTrue(a.All(x => Math.Abs(x) <= bound), $"{layer.Path}: A within ±1/sqrt(in)");
            Assert.IsTrue(a.Max() > 0.8 * bound && a.Min() < -0.8 * bound, $"{layer.Path}: A fills ±1/sqrt(in)");
            Assert.IsTrue(layer.B.ToArray<float>().All(x => x == 0f), $"{layer.Path}: B zero");
        }

        CollectionAssert.AreEqual(before, model.Forward(ids).ToArray<float>(), "B = 0: the adapted model starts as the base model");
    }

    [TestMethod]
    public void Create_SameSeed_SameAdapters()
    {
        using var m1 = new TinyHfLm();
        using var m2 = new TinyHfLm();
        var config = new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj"), Init = LoraInit.Gaussian, Rank = 4 };
        using var l1 = LoraModel.Create(m1, config, seed: 9);
        using var l2 = LoraModel.Create(m2, config, seed: 9);
        CollectionAssert.AreEqual(l1.Layers[0].A.ToArray<float>(), l2.Layers[0].A.ToArray<float>());
        var a = l1.Layers[0].A.ToArray<float>();
        var std = Math.Sqrt(a.Select(x => (double)x * x).Average());
        Assert.AreEqual(0.25, std, 0.08, "gaussian init: std 1/r");
    }

    [TestMethod]
    [DataRow(false, 2.0)]                 // alpha / r = 8 / 4
    [DataRow(true, 4.0)]                  // rsLoRA: alpha / sqrt(r) = 8 / 2
    public void Forward_AddsScaledLowRankTermToTheBaseOutput(bool rsLora, double expectedScale)
    {
        using var model = new TinyHfLm();
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("o_proj"), Rank = 4, Alpha = 8, UseRsLora = rsLora, Init = LoraInit.Random });
        var layer = lora.Layers[0];
        Assert.AreEqual(expectedScale, layer.Scaling, 1e-12);
        using var scope = new DisposeScope();
        using var g = Generator.Create(1);
        var x = TorchOps.Randn([3, 5, 16], g);                                                            // (B, T, in)
        var expected = TorchOps.Linear(x, layer.BaseLayer.Weight, layer.BaseLayer.Bias)
            .Add(x.Matmul(layer.A.Transpose(0, 1)).Matmul(layer.B.Transpose(0, 1)).Mul(expectedScale));     // x Wᵀ + x Aᵀ Bᵀ s
        var actual = layer.BaseLayer.Forward(x);
        AssertClose(expected.ToArray<float>(), actual.ToArray<float>(), 1e-5, "LoRA forward");
        Assert.IsTrue(actual.Sub(TorchOps.Linear(x, layer.BaseLayer.Weight)).Abs().Max().Item<float>() > 1e-3, "the adapter changes the output");
    }

    [TestMethod]
    public void Forward_Dropout_OnlyInTrainingModeOfTheBaseModel()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(2, 6, model.Vocab, 4);
        var baseline = model.Forward(ids).ToArray<float>();
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("down_proj"), Dropout = 0.5, Init = LoraInit.Random });
        model.Eval();
        var a = model.Forward(ids).ToArray<float>();
        CollectionAssert.AreEqual(a, model.Forward(ids).ToArray<float>(), "eval: deterministic");
        model.Train();
        TorchOps.ManualSeed(3);
        var t1 = model.Forward(ids).ToArray<float>();
        CollectionAssert.AreNotEqual(a, t1, "training: dropout on the adapter input");
        lora.AdaptersEnabled = false;
        CollectionAssert.AreEqual(baseline, model.Forward(ids).ToArray<float>(), "disabled in training mode: the base model exactly");
    }

    [TestMethod]
    public void AdaptersEnabled_Off_EqualsTheBaseModelBitForBit()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(2, 7, model.Vocab, 5);
        var baseline = model.Forward(ids).ToArray<float>();
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AttentionAndMlp), Init = LoraInit.Random });
        var adapted = model.Forward(ids).ToArray<float>();
        Assert.IsTrue(MaxAbsDiff(baseline, adapted) > 1e-3, "random adapters change the logits");
        using (lora.DisableAdapters())
        {
            CollectionAssert.AreEqual(baseline, model.Forward(ids).ToArray<float>(), "disabled = base model");
        }

        CollectionAssert.AreEqual(adapted, model.Forward(ids).ToArray<float>(), "re-enabled after the scope");
        lora.AdaptersEnabled = false;
        CollectionAssert.AreEqual(baseline, model.Forward(ids).ToArray<float>());
    }

    [TestMethod]
    public void Merge_EqualsUnmergedAndUnmergeRestoresTheWeights()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(2, 7, model.Vocab, 6);
        var weightsBefore = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AttentionAndMlp), Rank = 4, Alpha = 32, Init = LoraInit.Random });
        var deltas = lora.Layers.ToDictionary(l => l.Path + ".weight", l => { using var d = l.DeltaWeight(); return d.ToArray<float>(); });
        var unmerged = model.Forward(ids).ToArray<float>();
        lora.Merge();
        Assert.IsTrue(lora.IsMerged);

        // Merge and unmerge are one fp32 addition each, so their results are known to the bit: fl(W + Δ), then fl(fl(W + Δ) - Δ).
        foreach (var (name, delta) in deltas)
        {
            var before = weightsBefore[name];
            var merged = before.Zip(delta, (w, d) => w + d).ToArray();
            CollectionAssert.AreEqual(merged, model.NamedParameters().Single(p => p.Name == name).Parameter.ToArray<float>(), $"{name}: W + scale·B·A");
        }

        // The logits move only by the rounding of the merged weights: each rounding is at most ε32·(|W| + |Δ|), a relative
        // change of ε32·(1 + ρ) of the weight (ρ = max|Δ| / max|W|), and each of the n adapted matrices on the path adds
        // that much of the logits' magnitude to first order; 2 covers the attention softmax and the norms.
        var rho = deltas.Max(d => d.Value.Max(Math.Abs) / weightsBefore[d.Key].Max(Math.Abs));
        var tolerance = 2.0 * lora.Layers.Count * Fp32Epsilon * (1 + rho) * unmerged.Max(Math.Abs);
        AssertClose(unmerged, model.Forward(ids).ToArray<float>(), tolerance, "merged vs unmerged logits");
        Assert.ThrowsExactly<InvalidOperationException>(() => lora.AdaptersEnabled = false);
        lora.Unmerge();
        foreach (var (name, p) in model.NamedParameters())
        {
            var expected = deltas.TryGetValue(name, out var delta) ? weightsBefore[name].Zip(delta, (w, d) => (w + d) - d).ToArray() : weightsBefore[name];
            CollectionAssert.AreEqual(expected, p.ToArray<float>(), $"{name}: fl(fl(W + Δ) - Δ), W itself where not adapted");
        }

        AssertClose(unmerged, model.Forward(ids).ToArray<float>(), tolerance, "unmerged again");
    }

    [TestMethod]
    public void Dispose_DetachesAndRestoresTheBaseModel()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(1, 5, model.Vocab, 7);
        var baseline = model.Forward(ids).ToArray<float>();
        var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.AllLinear, Init = LoraInit.Random });
        lora.Merge();
        lora.Dispose();
        AssertClose(baseline, model.Forward(ids).ToArray<float>(), 1e-5, "restored");
        Assert.IsTrue(model.NamedModules().Select(m => m.Module).OfType<Linear>().All(l => l.Adapter is null));
        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad), "requires_grad restored");
        Assert.ThrowsExactly<ObjectDisposedException>(() => lora.Merge());
        using var again = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj") });
        Assert.AreEqual(2, again.Layers.Count, "a detached model takes new adapters");
    }

    [TestMethod]
    public void MergeAndUnload_BaseModelComputesTheAdaptedFunctionAlone()
    {
        using var model = new TinyHfLm();
        using var scope = new DisposeScope();
        var ids = Ids(2, 5, model.Vocab, 8);
        var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("v_proj", "up_proj"), Init = LoraInit.Random });
        var adapted = model.Forward(ids).ToArray<float>();
        lora.MergeAndUnload();
        Assert.IsTrue(model.NamedModules().Select(m => m.Module).OfType<Linear>().All(l => l.Adapter is null));
        AssertClose(adapted, model.Forward(ids).ToArray<float>(), 1e-4, "merged into the base");
        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad));
    }

    [TestMethod]
    public void Targets_RegexFullMatchAllLinearExcludeAndLayerSelection()
    {
        using var model = new TinyHfLm(layers: 3);
        using (var regex = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromPattern(@"model\.layers\.(0|2)\.self_attn\.(?P<p>q|k)_proj") }))
        {
            CollectionAssert.AreEqual(
                new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.2.self_attn.q_proj", "model.layers.2.self_attn.k_proj" },
                regex.TargetPaths.ToArray());
        }

        // A regex must match the whole path (re.fullmatch): "q_proj" alone matches nothing.
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromPattern("q_proj") })).Message, "matched no module");

        using (var all = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromPattern("all-linear"), ExcludeModules = ModuleSelector.FromNames("o_proj") }))
        {
            Assert.AreEqual(3 * 6, all.Layers.Count, "7 linears per layer but o_proj; lm_head never");
            Assert.IsFalse(all.TargetPaths.Any(p => p.EndsWith("lm_head", StringComparison.Ordinal) || p.EndsWith("o_proj", StringComparison.Ordinal)));
        }

        using (var layers = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("self_attn.q_proj"), LayersToTransform = [1, 2], LayersPattern = ["layers"] }))
        {
            CollectionAssert.AreEqual(new[] { "model.layers.1.self_attn.q_proj", "model.layers.2.self_attn.q_proj" }, layers.TargetPaths.ToArray());
        }

        var head = Assert.ThrowsExactly<NotSupportedException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("lm_head") }));
        StringAssert.Contains(head.Message, "output head");
    }

    [TestMethod]
    public void RankAndAlphaPatterns_OverrideByModule()
    {
        using var model = new TinyHfLm();
        var config = new LoraConfig
        {
            TargetModules = ModuleSelector.FromNames("q_proj", "down_proj"),
            Rank = 4,
            Alpha = 8,
            RankPattern = new Dictionary<string, int> { ["down_proj"] = 2, [@"layers\.1\.self_attn\.q_proj"] = 8 },
            AlphaPattern = new Dictionary<string, double> { ["q_proj"] = 32 },
        };
        using var lora = LoraModel.Create(model, config);
        var byPath = lora.Layers.ToDictionary(l => l.Path);
        Assert.AreEqual((4, 8.0), (byPath["model.layers.0.self_attn.q_proj"].Rank, byPath["model.layers.0.self_attn.q_proj"].Scaling));
        Assert.AreEqual((8, 4.0), (byPath["model.layers.1.self_attn.q_proj"].Rank, byPath["model.layers.1.self_attn.q_proj"].Scaling));
        Assert.AreEqual((2, 4.0), (byPath["model.layers.1.mlp.down_proj"].Rank, byPath["model.layers.1.mlp.down_proj"].Scaling));
    }

    [TestMethod]
    public void Create_BadTargets_ClearErrors()
    {
        using var model = new TinyHfLm();
        var notFound = Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("query_key_value") }));
        StringAssert.Contains(notFound.Message, "[query_key_value] matched no module of TinyHfLm");
        StringAssert.Contains(notFound.Message, "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head");

        var notLinear = Assert.ThrowsExactly<NotSupportedException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("mlp") }));
        StringAssert.Contains(notLinear.Message, "'model.layers.0.mlp'");
        StringAssert.Contains(notLinear.Message, "Linear layers only");

        var allExcluded = Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj"), ExcludeModules = ModuleSelector.FromPattern(".*") }));
        StringAssert.Contains(allExcluded.Message, "excluded");

        Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj"), Rank = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj"), Dropout = 1 }));
        Assert.ThrowsExactly<ArgumentException>(() => ModuleSelector.FromPattern("(unclosed"));

        using var first = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj") });
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj") })).Message, "already has an adapter");
    }

    [TestMethod]
    public void Backward_GradientsReachOnlyTheAdapters()
    {
        using var model = new TinyHfLm();
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AttentionAndMlp) });
        using var scope = new DisposeScope();
        var ids = Ids(2, 6, model.Vocab, 9);
        var loss = TorchOps.CrossEntropy(model.Forward(ids).Reshape(-1, model.Vocab), Ids(2, 6, model.Vocab, 10).Reshape(-1));
        loss.Backward();
        Assert.IsTrue(model.Parameters().All(p => p.Grad is null), "no gradient for a frozen base parameter");
        Assert.IsTrue(lora.Layers.All(l => l.B.Grad is { } g && g.Abs().Sum().Item<float>() > 0), "B gets a gradient");
        Assert.IsTrue(lora.Layers.All(l => l.A.Grad is { } g && g.Abs().Sum().Item<float>() == 0), "A gets zero gradient while B = 0 (as in peft)");
    }

    [TestMethod]
    public void ForwardAndLifecycle_LeakNothing()
    {
        using var model = new TinyHfLm();
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AttentionAndMlp), Init = LoraInit.Gaussian, Dropout = 0.1 });
                using (var scope = new DisposeScope())
                {
                    model.Forward(Ids(2, 5, model.Vocab, 11)).Sum().Backward();
                    lora.Merge();
                    lora.Unmerge();
                }

                foreach (var p in lora.Parameters()) p.ZeroGrad();
            },
            "LoRA create, forward, backward, merge, dispose");
    }

    internal static Tensor Ids(int b, int t, int vocab, ulong seed)
    {
        using var g = Generator.Create(seed);
        return TorchOps.RandInt(0, vocab, [b, t], g);                                              // (B, T)
    }

    internal static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        var diff = MaxAbsDiff(expected, actual);
        Assert.IsTrue(diff <= tolerance, $"{what}: max |diff| {diff:G3} > {tolerance:G3}");
    }

    internal static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
