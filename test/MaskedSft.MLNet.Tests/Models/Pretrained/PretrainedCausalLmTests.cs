// Behaviour of the pretrained decoder models built in C#: names and shapes, causality, padding and packing invariance,
// KV-cache passes equal to full passes, gradient checkpointing equal to plain backward.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class PretrainedCausalLmTests
{
    private const double Tolerance = 2e-5;

    [TestMethod]
    public void NamedParameters_Llama_HuggingFaceNamesAndShapes()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        var shapes = model.NamedParameters().ToDictionary(p => p.Name, p => string.Join("x", p.Parameter.Shape));
        Assert.AreEqual("61x32", shapes["model.embed_tokens.weight"]);
        Assert.AreEqual("32x32", shapes["model.layers.0.self_attn.q_proj.weight"]);
        Assert.AreEqual("16x32", shapes["model.layers.0.self_attn.k_proj.weight"]);
        Assert.AreEqual("16", shapes["model.layers.1.self_attn.v_proj.bias"]);
        Assert.AreEqual("32", shapes["model.layers.1.self_attn.o_proj.bias"]);
        Assert.AreEqual("48x32", shapes["model.layers.1.mlp.gate_proj.weight"]);
        Assert.AreEqual("32x48", shapes["model.layers.1.mlp.down_proj.weight"]);
        Assert.AreEqual("48", shapes["model.layers.1.mlp.up_proj.bias"]);
        Assert.AreEqual("32", shapes["model.layers.0.input_layernorm.weight"]);
        Assert.AreEqual("32", shapes["model.layers.0.post_attention_layernorm.weight"]);
        Assert.AreEqual("32", shapes["model.norm.weight"]);
        Assert.AreEqual("61x32", shapes["lm_head.weight"]);
        Assert.AreEqual(3 + (2 * 16), shapes.Count);
    }

    [TestMethod]
    public void NamedParameters_Qwen2TiedAndQwen3_BiasesNormsAndNoHead()
    {
        using var qwen2 = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        var names2 = qwen2.NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.IsTrue(names2.Contains("model.layers.0.self_attn.q_proj.bias") && names2.Contains("model.layers.0.self_attn.v_proj.bias"));
        Assert.IsFalse(names2.Contains("model.layers.0.self_attn.o_proj.bias"), "Qwen2's o_proj has no bias");
        Assert.IsFalse(names2.Contains("lm_head.weight"), "a tied head has no parameter of its own");
        Assert.AreSame(qwen2.NamedParameters().First(p => p.Name == "model.embed_tokens.weight").Parameter, qwen2.HeadWeight);

        using var qwen3 = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3);
        var shapes3 = qwen3.NamedParameters().ToDictionary(p => p.Name, p => string.Join("x", p.Parameter.Shape));
        Assert.AreEqual("12", shapes3["model.layers.2.self_attn.q_norm.weight"]);
        Assert.AreEqual("12", shapes3["model.layers.2.self_attn.k_norm.weight"]);
        Assert.AreEqual("48x32", shapes3["model.layers.0.self_attn.q_proj.weight"], "q_proj maps C=32 to H·head_dim = 4·12");
        Assert.AreEqual("32x48", shapes3["model.layers.0.self_attn.o_proj.weight"]);
        Assert.IsFalse(shapes3.Keys.Any(n => n.EndsWith(".bias", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void ForwardHidden_ChangedLaterToken_EarlierPositionsUnchanged(string name)
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name));
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 9, 1);
        var changed = ids.Clone();
        changed.Narrow(1, 6, 1).Fill(ids.Narrow(1, 6, 1).Add(1L).Remainder((long)model.VocabSize).Select(0, 0).Item<long>());
        var a = model.ForwardHidden(new CausalLmInput(ids));                                           // (B, T, C)
        var b = model.ForwardHidden(new CausalLmInput(changed));
        Assert.AreEqual(0.0, SmallPretrainedModels.MaxDiff(a.Narrow(1, 0, 6), b.Narrow(1, 0, 6)), "positions before the change");
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(a.Narrow(1, 6, 3), b.Narrow(1, 6, 3)) > 1e-3, "the change must matter from its position on");
        CollectionAssert.AreEqual(new long[] { 2, 9, model.HiddenSize }, a.Shape);
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void ForwardHidden_LeftAndRightPadding_RealPositionsEqualUnpadded(string name)
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name));
        var row = SmallPretrainedModels.Tokens(model.VocabSize, 1, 5, 2);                              // (1, 5)
        var alone = model.ForwardHidden(new CausalLmInput(row));                                       // (1, 5, C)
        var pad = TorchOps.Full([1, 3], 4, ScalarType.Int64);
        var left = TorchOps.Cat([pad, row], 1);                                                         // (1, 8)
        var right = TorchOps.Cat([row, pad], 1);
        var leftMask = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 1, 1, 1 }, 1, 8);
        var rightMask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 0, 0, 0 }, 1, 8);
        var leftPositions = Tensor.FromArray(new long[] { 1, 1, 1, 0, 1, 2, 3, 4 }, 1, 8);
        var l = model.ForwardHidden(new CausalLmInput(left) { AttentionMask = leftMask, PositionIds = leftPositions });
        var r = model.ForwardHidden(new CausalLmInput(right) { AttentionMask = rightMask });
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(alone, l.Narrow(1, 3, 5)) < Tolerance, "left padding");
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(alone, r.Narrow(1, 0, 5)) < Tolerance, "right padding");
        Assert.IsTrue(l.AllFinite() && r.AllFinite(), "padding positions stay finite");
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen3")]
    public void ForwardHidden_PackedDocuments_EqualSeparateRows(string name)
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name));
        var first = SmallPretrainedModels.Tokens(model.VocabSize, 1, 4, 3);
        var second = SmallPretrainedModels.Tokens(model.VocabSize, 1, 6, 4);
        var packed = TorchOps.Cat([first, second], 1);                                                  // (1, 10)
        var documents = Tensor.FromArray(new long[] { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, 1, 10);
        var positions = Tensor.FromArray(new long[] { 0, 1, 2, 3, 0, 1, 2, 3, 4, 5 }, 1, 10);
        var h = model.ForwardHidden(new CausalLmInput(packed) { DocumentIds = documents, PositionIds = positions });
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(model.ForwardHidden(new CausalLmInput(first)), h.Narrow(1, 0, 4)) < Tolerance);
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(model.ForwardHidden(new CausalLmInput(second)), h.Narrow(1, 4, 6)) < Tolerance);
    }

    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void ForwardHiddenWithCache_PromptThenSteps_EqualFullPass(string name)
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name));
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 9, 5);
        var full = model.ForwardHidden(new CausalLmInput(ids));                                        // (2, 9, C)
        using var cache = model.CreateKvCache(2, 12);
        var parts = new List<Tensor> { model.ForwardHidden(new CausalLmInput(ids.Narrow(1, 0, 5)), cache) };
        parts.Add(model.ForwardHidden(new CausalLmInput(ids.Narrow(1, 5, 2)), cache));                 // two at once
        for (var t = 7; t < 9; t++) parts.Add(model.ForwardHidden(new CausalLmInput(ids.Narrow(1, t, 1)), cache));
        Assert.AreEqual(9, cache.Length);
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(full, TorchOps.Cat(parts, 1)) < Tolerance);
        CollectionAssert.AreEqual(new long[] { 9, 9 }, cache.NextPositions.ToArray<long>());
    }

    [TestMethod]
    public void ForwardHiddenWithCache_LeftPaddedPrompt_EqualsUnpaddedRow()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        var shortRow = SmallPretrainedModels.Tokens(model.VocabSize, 1, 3, 6);                          // (1, 3)
        var longRow = SmallPretrainedModels.Tokens(model.VocabSize, 1, 6, 7);                           // (1, 6)
        var next = SmallPretrainedModels.Tokens(model.VocabSize, 2, 2, 8);                              // (2, 2) two more tokens each
        var batch = TorchOps.Cat([TorchOps.Cat([TorchOps.Zeros([1, 3], ScalarType.Int64), shortRow], 1), longRow], 0); // (2, 6)
        var mask = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 2, 6);
        using var cache = model.CreateKvCache(2, 8);
        model.ForwardHidden(new CausalLmInput(batch) { AttentionMask = mask }, cache);
        var h = model.ForwardHidden(new CausalLmInput(next), cache);                                   // (2, 2, C)
        var shortFull = model.ForwardHidden(new CausalLmInput(TorchOps.Cat([shortRow, next.Narrow(0, 0, 1)], 1)));
        var longFull = model.ForwardHidden(new CausalLmInput(TorchOps.Cat([longRow, next.Narrow(0, 1, 1)], 1)));
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(shortFull.Narrow(1, 3, 2), h.Narrow(0, 0, 1)) < Tolerance, "left-padded row");
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(longFull.Narrow(1, 6, 2), h.Narrow(0, 1, 1)) < Tolerance, "unpadded row");
        CollectionAssert.AreEqual(new long[] { 5, 8 }, cache.NextPositions.ToArray<long>());
    }

    [TestMethod]
    public void ForwardHiddenWithCache_Overflow_ThrowsWithHint()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        using var cache = model.CreateKvCache(1, 4);
        model.ForwardHidden(new CausalLmInput(SmallPretrainedModels.Tokens(model.VocabSize, 1, 3, 1)), cache);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardHidden(new CausalLmInput(SmallPretrainedModels.Tokens(model.VocabSize, 1, 2, 2)), cache));
        StringAssert.Contains(e.Message, "holds 4 slots");
        StringAssert.Contains(e.Message, "Hint:");
    }

    [TestMethod]
    public void ForwardHidden_TooLongOrWrongMask_ClearErrors()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardHidden(new CausalLmInput(SmallPretrainedModels.Tokens(model.VocabSize, 1, 65, 1))));
        StringAssert.Contains(e.Message, "max_position_embeddings 64");
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 5, 1);
        e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardHidden(new CausalLmInput(ids) { AttentionMask = TorchOps.Ones([2, 4], ScalarType.Int64) }));
        StringAssert.Contains(e.Message, "AttentionMask must be (B, T) = [2, 5]");
    }

    [TestMethod]
    [DataRow("llama", true)]
    [DataRow("qwen3", true)]
    [DataRow("qwen2", false)]
    [DataRow("llama", false)]
    public void GradientCheckpointing_SameLossAndGradients(string name, bool padded)
    {
        using var scope = new DisposeScope();
        using var plain = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name), seed: 11);
        using var checkpointed = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name), seed: 11);
        checkpointed.GradientCheckpointing = true;
        var ids = SmallPretrainedModels.Tokens(plain.VocabSize, 2, 8, 9);
        var mask = padded ? Tensor.FromArray(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, 2, 8) : null;
        Tensor Loss(PretrainedCausalLm m)
        {
            var h = m.ForwardHidden(new CausalLmInput(ids) { AttentionMask = mask });                 // (B, T, C)
            var logits = TorchOps.Linear(h.Narrow(1, 2, 5), m.HeadWeight);                               // (B, 5, V)
            return TorchOps.CrossEntropy(logits.Reshape(10, m.VocabSize), ids.Narrow(1, 3, 5).Reshape(10));
        }

        var a = Loss(plain);
        var b = Loss(checkpointed);
        Assert.AreEqual(a.Item<float>(), b.Item<float>(), 1e-6);
        a.Backward();
        b.Backward();
        foreach (var ((n, pa), (_, pb)) in plain.NamedParameters().Zip(checkpointed.NamedParameters()))
        {
            Assert.IsNotNull(pb.Grad, $"{n}: no gradient with checkpointing");
            Assert.IsTrue(SmallPretrainedModels.MaxDiff(pa.Grad!, pb.Grad) < 1e-6, $"{n}: gradients differ");
        }
    }

    [TestMethod]
    public void ToDTypeBFloat16_ForwardClosesToFloat32()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3);
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 7, 12);
        var f32 = model.Forward(ids);                                                                   // (B, T, V)
        model.To(Device.Cpu, ScalarType.BFloat16);
        Assert.AreEqual(ScalarType.BFloat16, model.DType);
        var bf16 = model.Forward(ids);
        Assert.AreEqual(ScalarType.BFloat16, bf16.DType);
        var scale = f32.Abs().Max().Item<float>();
        Assert.IsTrue(SmallPretrainedModels.MaxDiff(f32, bf16) < 0.05 * scale, "bf16 logits stay close to float32 ones");
    }

    [TestMethod]
    public void ForwardAndCachePasses_LeakNoTensors()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        using var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 6, 1);
        using (model.Forward(ids)) { }                          // the rotary table is built once, on first use
        TensorLeakAssert.LeaksNothing(() =>
        {
            using (model.Forward(ids)) { }
            using (model.ForwardHidden(new CausalLmInput(ids))) { }
            using var cache = model.CreateKvCache(2, 8);
            using (model.ForwardHidden(new CausalLmInput(ids), cache)) { }
        }, "forward passes");
    }
}
