// Behaviour of TinyGpt beyond the reference values: gathered loss path, generation options, weight files, input checks.
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
    public void ForwardLoss_OnlySupervisedLogits_EqualsFullLogitsMaskedLossAndGradients()
    {
        using var scope = new DisposeScope();
        using var a = new TinyGpt(Small, seed: 3);
        using var b = new TinyGpt(Small, seed: 3);
        var x = TorchOps.RandInt(0, 37, [3, 10], Generator.Create(1));
        var y = TorchOps.RandInt(0, 37, [3, 10], Generator.Create(2));
        var mask = TorchOps.Rand([3, 10], Generator.Create(3)).Lt(0.4).To(ScalarType.Float32);
        var gathered = a.Forward(x, y, mask);
        var full = MaskedCrossEntropy.Compute(b.Forward(x), y, mask);
        Assert.AreEqual(full.Item<float>(), gathered.Item<float>(), 1e-6);
        gathered.Backward();
        full.Backward();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            LossAssert.Close(pb.Grad!.ToArray<float>().Select(v => (double)v).ToArray(), pa.Grad!.ToArray<float>(), 1e-5, name);
        }
    }

    [TestMethod]
    public void ForwardLoss_AllZeroMask_ZeroLossAndZeroGradients()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 4);
        var x = TorchOps.RandInt(0, 37, [2, 8], Generator.Create(1));
        var loss = model.Forward(x, x, TorchOps.Zeros([2, 8]));
        loss.Backward();
        Assert.AreEqual(0f, loss.Item<float>());
        foreach (var (name, p) in model.NamedParameters())
        {
            var g = p.Grad;
            Assert.IsTrue(g is null || g.ToArray<float>().All(v => v == 0f), $"{name} must get a zero gradient");
        }
    }

    [TestMethod]
    public void ForwardLoss_AdvantagesAndAggregation_MatchWeightedSftLossOnFullLogits()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 5);
        var x = TorchOps.RandInt(0, 37, [3, 9], Generator.Create(7));
        var y = TorchOps.RandInt(0, 37, [3, 9], Generator.Create(8));
        var mask = TorchOps.Rand([3, 9], Generator.Create(9)).Lt(0.6).To(ScalarType.Float32);
        var adv = TorchOps.Randn([3, 9], Generator.Create(10));
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            var loss = new WeightedSftLoss(new() { Aggregation = agg, AdvantageNormalization = AdvantageNormalization.Sequence, Temperature = 1.3 });
            using var viaModel = model.ForwardLoss(x, y, mask, adv, loss);
            using var viaLogits = loss.ComputeAligned(model.Forward(x), y, mask, adv);
            Assert.AreEqual(viaLogits.Loss.Item<float>(), viaModel.Loss.Item<float>(), 1e-5, agg.ToName());
        }
    }

    [TestMethod]
    public void ForwardLoss_TokenNll_IsTheUnweightedCrossEntropyOfSupervisedTargets()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 6);
        var x = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(11));
        var y = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(12));
        var mask = TorchOps.Rand([2, 7], Generator.Create(13)).Lt(0.5).To(ScalarType.Float32);
        var adv = TorchOps.Randn([2, 7], Generator.Create(14));
        using var output = model.ForwardLoss(x, y, mask, adv);
        var logits = model.Forward(x);                                                       // (2, 7, V)
        var expected = TorchOps.CrossEntropy(logits.Reshape(14, 37), y.Reshape(-1), Reduction.None).Reshape(2, 7).Mul(mask); // (2, 7)
        LossAssert.Close(expected.ToArray<float>().Select(v => (double)v).ToArray(), output.TokenNll.ToArray<float>(), 1e-5, "token nll");
        Assert.IsFalse(output.TokenNll.RequiresGrad, "TokenNll is detached");
        LossAssert.Close(output.TokenNll.Mul(adv).ToArray<float>().Select(v => (double)v).ToArray(), output.TokenLoss.ToArray<float>(), 1e-5, "TokenLoss = TokenNll x advantage");
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
