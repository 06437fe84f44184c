// Behaviour of TinyGpt beyond the reference values: packed and padded rows, the ICausalLm members, generation, weight files, input checks.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models;

[TestClass]
[DoNotParallelize]
public sealed class TinyGptTests
{
    private static readonly GptConfig Small = new() { Layers = 2, Heads = 2, EmbeddingSize = 16, BlockSize = 12, VocabSize = 37 };

    [TestMethod]
    public void ForwardHidden_PackedRow_EachDocumentGetsItsHiddenStatesAlone()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 11);
        model.Eval();
        var a = new long[] { 3, 14, 15, 9, 2 };
        var b = new long[] { 6, 5, 35 };
        var c = new long[] { 8, 9, 7, 9 };
        var packed = Tensor.FromArray(a.Concat(b).Concat(c).ToArray(), 1, 12);
        var positions = Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3 }, 1, 12);
        var documents = Tensor.FromArray(new long[] { 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2 }, 1, 12);

        var hidden = model.ForwardHidden(new CausalLmInput(packed) { PositionIds = positions, DocumentIds = documents }); // (1, 12, C)

        var offset = 0;
        foreach (var doc in new[] { a, b, c })
        {
            var alone = model.ForwardHidden(new CausalLmInput(Tensor.FromArray(doc, 1, doc.Length)));           // (1, n, C)
            var part = hidden.Narrow(1, offset, doc.Length);
            LossAssert.Close(alone.ToArray<float>().Select(v => (double)v).ToArray(), part.ToArray<float>(), 1e-5, $"document at {offset}");
            offset += doc.Length;
        }

        var unpacked = model.ForwardHidden(new CausalLmInput(packed));                        // one causal document
        Assert.IsGreaterThan(1e-3, unpacked.Narrow(1, 5, 7).Sub(hidden.Narrow(1, 5, 7)).Abs().Max().Item<double>(), "without document ids the documents attend to each other");
    }

    [TestMethod]
    public void ForwardHidden_LeftPaddedRow_RealTokensMatchTheUnpaddedRow()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 12);
        model.Eval();
        var tokens = new long[] { 4, 8, 15, 16, 23, 33, 1 };
        var padded = Tensor.FromArray(new long[] { 0, 0, 0 }.Concat(tokens).ToArray(), 1, 10);
        var attention = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1 }, 1, 10);
        var positions = Tensor.FromArray(new long[] { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6 }, 1, 10);
        var batch = TorchOps.Cat([padded, Tensor.FromArray(tokens.Concat(new long[] { 36, 36, 36 }).ToArray(), 1, 10)], 0); // right padding too
        var mask = TorchOps.Cat([attention, Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 1, 10)], 0);
        var pos = TorchOps.Cat([positions, TorchOps.Arange(10).Unsqueeze(0)], 0);

        var hidden = model.ForwardHidden(new CausalLmInput(batch) { AttentionMask = mask, PositionIds = pos }); // (2, 10, C)

        var alone = model.ForwardHidden(new CausalLmInput(Tensor.FromArray(tokens, 1, 7))).ToArray<float>().Select(v => (double)v).ToArray();
        LossAssert.Close(alone, hidden.Narrow(0, 0, 1).Narrow(1, 3, 7).ToArray<float>(), 1e-5, "left-padded row");
        LossAssert.Close(alone, hidden.Narrow(0, 1, 1).Narrow(1, 0, 7).ToArray<float>(), 1e-5, "right-padded row");
        Assert.IsTrue(hidden.ToArray<float>().All(float.IsFinite), "padding positions attend to themselves: finite, no NaN");
    }

    [TestMethod]
    public void ForwardHidden_PaddedRowsInTraining_GradientsFinite()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 13);
        var x = Tensor.FromArray(new long[] { 0, 0, 5, 6, 7, 8 }, 1, 6);
        var attention = Tensor.FromArray(new long[] { 0, 0, 1, 1, 1, 1 }, 1, 6);
        var hidden = model.ForwardHidden(new CausalLmInput(x) { AttentionMask = attention });
        hidden.Sum().Backward();
        foreach (var (name, p) in model.NamedParameters()) Assert.IsTrue(p.Grad!.ToArray<float>().All(float.IsFinite), name);
    }

    [TestMethod]
    public void ForwardHidden_BadInputs_ThrowNamingTheField()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small);
        var x = TorchOps.Zeros([2, 5], ScalarType.Int64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardHidden(new CausalLmInput(x) { AttentionMask = TorchOps.Ones([2, 4]) }));
        StringAssert.Contains(e.Message, "AttentionMask");
        e = Assert.ThrowsExactly<ArgumentException>(() => model.ForwardHidden(new CausalLmInput(x) { PositionIds = TorchOps.Full([2, 5], 12, ScalarType.Int64) }));
        StringAssert.Contains(e.Message, "PositionIds");
        StringAssert.Contains(e.Message, "12 learned positions");
    }

    [TestMethod]
    public void CausalLmMembers_DescribeTheModelAndHeadIsTheTiedEmbedding()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 14);
        ICausalLm lm = model;
        Assert.AreEqual("tiny-gpt", lm.Architecture);
        Assert.AreEqual((37, 16, 12), (lm.VocabSize, lm.HiddenSize, lm.MaxSequenceLength));
        Assert.AreEqual(ScalarType.Float32, lm.DType);
        Assert.AreEqual(Device.Cpu, lm.Device);
        CollectionAssert.AreEqual(new long[] { 37, 16 }, lm.HeadWeight.Shape);
        var x = TorchOps.RandInt(0, 37, [2, 6], Generator.Create(3));
        var viaHead = TorchOps.Linear(lm.ForwardHidden(new CausalLmInput(x)), lm.HeadWeight);
        CollectionAssert.AreEqual(model.Forward(x).ToArray<float>(), viaHead.ToArray<float>(), "logits = hidden · HeadWeightᵀ");
        StringAssert.StartsWith(CausalLmDescription.Of(lm), "tiny-gpt, hidden 16, vocabulary 37, up to 12 positions");
    }

    [TestMethod]
    public void Generate_Sampling_SeededReproducibleAndTopOneIsGreedy()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 6);
        int[] prompt = [1, 2, 3];
        var s1 = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 15, Temperature = 1.5, Seed = 9 });
        var s2 = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 15, Temperature = 1.5, Seed = 9 });
        var s3 = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 15, Temperature = 1.5, Seed = 10 });
        CollectionAssert.AreEqual(s1, s2);
        CollectionAssert.AreNotEqual(s1, s3);
        Assert.IsTrue(s1.All(t => t >= 0 && t < 37));
        CollectionAssert.AreEqual(
            model.Generate(prompt, GenerationOptions.Greedy(15)),
            model.Generate(prompt, new GenerationOptions { MaxNewTokens = 15, Temperature = 0.7, TopK = 1, Seed = 1 }));
    }

    [TestMethod]
    public void Generate_StopToken_StopsAndPadsFinishedRows()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 7);
        var greedy = model.Generate([4, 5], GenerationOptions.Greedy(10));
        var stop = greedy[2];
        var stopped = model.Generate([4, 5], new GenerationOptions { MaxNewTokens = 10, StopToken = stop });
        var expectedLength = Array.IndexOf(greedy, stop) + 1;
        CollectionAssert.AreEqual(greedy.Take(expectedLength).ToArray(), stopped);
    }

    [TestMethod]
    public void Generate_WithoutCallerScope_LeaksNoTensors()
    {
        using var model = new TinyGpt(Small, seed: 8);
        _ = model.Generate([1], GenerationOptions.Greedy(1)); // builds the model's cached causal mask, which lives as long as the model
        TensorLeakAssert.LeaksNothing(() => model.Generate([4, 5, 6], GenerationOptions.Greedy(5)), "Generate(ids)");
        TensorLeakAssert.LeaksNothing(() => model.Generate([4, 5], new GenerationOptions { MaxNewTokens = 0 }), "Generate(ids), no new tokens");
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                using var prompt = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2);
                using var output = model.Generate(prompt, new GenerationOptions { MaxNewTokens = 4, Temperature = 1, StopToken = 3, Seed = 2 });
                Assert.AreEqual(2, output.Size(0));
            },
            "Generate(tensor) with the caller disposing the result");
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                using var scope = new DisposeScope();
                var output = model.Generate(Tensor.FromArray(new long[] { 1, 2 }, 1, 2), GenerationOptions.Greedy(3));
                Assert.AreSame(scope, output.OwningScope, "the result joins the caller's scope");
            },
            "Generate(tensor) inside a caller scope");
    }

    [TestMethod]
    public void Save_LoadDirectory_SameLogitsAndConfig()
    {
        using var scope = new DisposeScope();
        var dir = Directory.CreateTempSubdirectory("msft-gpt-");
        try
        {
            using var model = new TinyGpt(Small, seed: 15);
            var folder = Path.Combine(dir.FullName, "saved");
            model.Save(folder);
            Assert.IsTrue(File.Exists(Path.Combine(folder, TinyGpt.WeightsFileName)));
            using var loaded = TinyGpt.Load(folder);
            Assert.AreEqual(model.Config, TinyGpt.ReadConfig(folder));
            var x = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(1));
            CollectionAssert.AreEqual(model.Forward(x).ToArray<float>(), loaded.Forward(x).ToArray<float>());
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void SaveWeights_Load_SameLogitsAndConfig()
    {
        using var scope = new DisposeScope();
        var dir = Directory.CreateTempSubdirectory("msft-gpt-");
        try
        {
            using var model = new TinyGpt(Small with { Bias = false }, seed: 8);
            var path = Path.Combine(dir.FullName, "model.safetensors");
            model.SaveWeights(path);
            using var loaded = TinyGpt.Load(path);
            Assert.AreEqual(model.Config, loaded.Config);
            var x = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(1));
            CollectionAssert.AreEqual(model.Forward(x).ToArray<float>(), loaded.Forward(x).ToArray<float>());
            using var other = new TinyGpt(Small with { EmbeddingSize = 32 });
            var e = Assert.ThrowsExactly<MaskedSft.Torch.Safetensors.SafetensorsTensorException>(() => other.LoadWeights(path));
            StringAssert.Contains(e.Message, "transformer.wte.weight");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Forward_LongerThanBlock_ThrowsWithHint()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(TorchOps.Zeros([1, 13], ScalarType.Int64)));
        StringAssert.Contains(e.Message, "block size 12");
    }

    [TestMethod]
    public void Presets_SeedSizes_HaveExpectedShapes()
    {
        Assert.AreEqual((2, 64, 50304), (GptConfig.Tiny.Layers, GptConfig.Tiny.EmbeddingSize, GptConfig.Tiny.VocabSize));
        Assert.AreEqual((3, 128, 50304), (GptConfig.Small.Layers, GptConfig.Small.EmbeddingSize, GptConfig.Small.VocabSize));
        Assert.AreEqual((6, 384), (GptConfig.Medium.Layers, GptConfig.Medium.EmbeddingSize));
        Assert.AreEqual(GptConfig.Small, GptConfig.FromPreset("SMALL"));
        Assert.ThrowsExactly<ArgumentException>(() => GptConfig.FromPreset("huge"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => (GptConfig.Tiny with { Heads = 5 }).Validate());
        // nanoGPT counts: 12 C^2 + 13 C per block (with biases), plus embeddings and ln_f.
        Assert.AreEqual(50304L * 64 + 256 * 64 + 2 * (12L * 64 * 64 + 13 * 64) + 2 * 64, GptConfig.Tiny.ParameterCount);
    }
}
