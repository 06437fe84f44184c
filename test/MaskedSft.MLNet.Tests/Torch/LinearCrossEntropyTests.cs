// TorchOps.LinearCrossEntropy, the chunked LM head + weighted cross-entropy: equal to PyTorch's naive computation
// (Fixtures/Losses/linear_cross_entropy.json) and to the naive libtorch path in-process, values and gradients, every
// reduction, per-token weights, ignore index, per-row upstream gradients, chunk sizes that do not divide N; bf16; errors.
using System.Text.Json;
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class LinearCrossEntropyTests
{
    private const long Ignore = -100;

    public static IEnumerable<object[]> FixtureCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            yield return [c.GetProperty("name").GetString()!];
        }
    }

    [TestMethod]
    [DynamicData(nameof(FixtureCases))]
    public void Float32_ChunksNotDividingN_MatchPyTorchNaiveValuesAndGradients(string name)
    {
        foreach (var (rows, columns) in new (long, long)[] { (4, 3), (1, 1), (5, 0), (0, 0), (1000, 1000) })
        {
            CheckFixture(name, ScalarType.Float32, rows, columns, 1e-5);
        }
    }

    [TestMethod]
    [DynamicData(nameof(FixtureCases))]
    public void Float64_MatchesPyTorchNaiveToRoundoff(string name) => CheckFixture(name, ScalarType.Float64, 3, 4, 1e-11);

    [TestMethod]
    public void AllReductions_MatchNaiveLibtorchHead_WithMaskWeightsIgnoreIndexAndUpstream()
    {
        const long n = 37, c = 16, v = 53;
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
        {
            foreach (var weighted in new[] { false, true })
            {
                foreach (var (rows, columns) in new (long, long)[] { (5, 7), (8, 0), (36, 52), (37, 53), (0, 0) })
                {
                    using var scope = new DisposeScope();
                    var inputs = Inputs(n, c, v, seed: 11, weighted);
                    var upstream = reduction == Reduction.None ? TorchOps.Randn([n], Generator.Create(99)) : null;
                    var expected = Naive(inputs, reduction, upstream);
                    var actual = Chunked(inputs, reduction, upstream, rows, columns);
                    var what = $"{reduction}, weighted={weighted}, chunks=({rows}, {columns})";
                    Close(expected.Loss, actual.Loss, 1e-5, what + " loss");
                    Close(expected.Nll, actual.Nll, 1e-5, what + " nll");
                    Close(expected.GradHidden, actual.GradHidden, 1e-5, what + " d/dhidden");
                    Close(expected.GradWeight, actual.GradWeight, 1e-5, what + " d/dweight");
                    if (weighted) Close(expected.GradTokenWeights!, actual.GradTokenWeights!, 1e-5, what + " d/dweights");
                    CollectionAssert.AreEqual(expected.Predictions, actual.Predictions, what + " argmax");
                }
            }
        }
    }

    [TestMethod]
    public void BFloat16_FloatStatistics_CloseToFloat32HeadOnTheSameRoundedInputs()
    {
        using var scope = new DisposeScope();
        const long n = 29, c = 32, v = 97;
        var inputs = Inputs(n, c, v, seed: 5, weighted: true);
        var bf = inputs with { Hidden = inputs.Hidden.To(ScalarType.BFloat16), Weight = inputs.Weight.To(ScalarType.BFloat16) };
        var rounded = inputs with { Hidden = bf.Hidden.To(ScalarType.Float32), Weight = bf.Weight.To(ScalarType.Float32) };
        var upstream = TorchOps.Randn([n], Generator.Create(3));
        var expected = Naive(rounded, Reduction.None, upstream);

        var hidden = bf.Hidden.Detach().WithRequiresGrad();
        var weight = bf.Weight.Detach().WithRequiresGrad();
        var result = TorchOps.LinearCrossEntropy(hidden, weight, bf.Targets, bf.TokenWeights, Reduction.None, Ignore, 1.0, 6, 10);
        Assert.AreEqual(ScalarType.Float32, result.Loss.DType, "the loss is float32 for bf16 inputs");
        Assert.AreEqual(ScalarType.Float32, result.Nll.DType);
        result.Loss.Backward(upstream);
        Assert.AreEqual(ScalarType.BFloat16, hidden.Grad!.DType);
        Assert.AreEqual(ScalarType.BFloat16, weight.Grad!.DType);
        // The products are rounded to bf16 once (as the naive bf16 head's logits): a few bf16 ulps of the logits.
        Close(expected.Loss, Doubles(result.Loss), 3e-2, "loss");
        Close(expected.GradHidden, Doubles(hidden.Grad!), 3e-2, "d/dhidden");
        Close(expected.GradWeight, Doubles(weight.Grad!), 3e-2, "d/dweight");
    }

    [TestMethod]
    public void BFloat16_ScalarReductions_GradientsComputedAhead_CloseToFloat32HeadOnTheSameRoundedInputs()
    {
        const long n = 29, c = 32, v = 97;
        foreach (var reduction in new[] { Reduction.Sum, Reduction.Mean })
        {
            using var scope = new DisposeScope();
            var inputs = Inputs(n, c, v, seed: 6, weighted: true);
            var bf = inputs with { Hidden = inputs.Hidden.To(ScalarType.BFloat16), Weight = inputs.Weight.To(ScalarType.BFloat16) };
            var rounded = inputs with { Hidden = bf.Hidden.To(ScalarType.Float32), Weight = bf.Weight.To(ScalarType.Float32) };
            var expected = Naive(rounded, reduction, null);
            var hidden = bf.Hidden.Detach().WithRequiresGrad();
            var weight = bf.Weight.Detach().WithRequiresGrad();
            var result = TorchOps.LinearCrossEntropy(hidden, weight, bf.Targets, bf.TokenWeights, reduction, Ignore, 1.0, rowChunk: 7);
            result.Loss.Backward();
            Assert.AreEqual(ScalarType.BFloat16, hidden.Grad!.DType, $"{reduction}: the gradients keep the inputs' dtype");
            Assert.AreEqual(ScalarType.BFloat16, weight.Grad!.DType);
            // Five row chunks: the bf16 weight gradient is summed in bf16 (one rounding per chunk). The gradients are bf16
            // products of bf16 operands: CPUs without bf16 instructions accumulate them with bf16 roundings inside
            // libtorch's GEMM, so they are compared relative to the gradient's scale, not element by element.
            Close(expected.Loss, Doubles(result.Loss), 3e-2, $"{reduction} loss");
            CloseToScale(expected.GradHidden, Doubles(hidden.Grad!), 3e-2, $"{reduction} d/dhidden");
            CloseToScale(expected.GradWeight, Doubles(weight.Grad!), 3e-2, $"{reduction} d/dweight");
        }
    }

    [TestMethod]
    public void UnderAutocast_ProductsRunInTheAutocastDtype_AsTheNaiveHeadsDo()
    {
        const long n = 23, c = 16, v = 41;
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            using var scope = new DisposeScope();
            var inputs = Inputs(n, c, v, seed: 12, weighted: false);
            var upstream = reduction == Reduction.None ? TorchOps.Randn([n], Generator.Create(13)) : null;
            var plain = Chunked(inputs, reduction, upstream, 5, 9);
            // Forward under autocast, backward outside it (as the training engine does).
            var (naiveHidden, naiveWeight) = (inputs.Hidden.Detach().WithRequiresGrad(), inputs.Weight.Detach().WithRequiresGrad());
            var (hidden, weight) = (inputs.Hidden.Detach().WithRequiresGrad(), inputs.Weight.Detach().WithRequiresGrad());
            Tensor naiveLoss;
            LinearCrossEntropyResult chunked;
            using (new AutocastScope(Device.Cpu, ScalarType.BFloat16))
            {
                var logits = TorchOps.Linear(naiveHidden, naiveWeight);                           // (N, V) bf16
                naiveLoss = TorchOps.CrossEntropy(logits.To(ScalarType.Float32), inputs.Targets, reduction, Ignore);
                chunked = TorchOps.LinearCrossEntropy(hidden, weight, inputs.Targets, null, reduction, Ignore, 1.0, 5, 9);
            }

            naiveLoss.Backward(upstream);
            chunked.Loss.Backward(upstream);
            var what = reduction.ToString();
            Assert.AreEqual(ScalarType.Float32, hidden.Grad!.DType, what + ": float32 inputs get float32 gradients");
            // bf16 products: the float32 head's loss is not reproduced, the naive autocast head's is (to bf16 rounding).
            Assert.IsTrue(plain.Loss.Zip(Doubles(chunked.Loss)).Any(p => Math.Abs(p.First - p.Second) > 1e-6), what + ": the products ran in bf16");
            Close(Doubles(naiveLoss), Doubles(chunked.Loss), 2e-2, what + " loss");
            Close(Doubles(naiveHidden.Grad!), Doubles(hidden.Grad!), 3e-2, what + " d/dhidden");
            Close(Doubles(naiveWeight.Grad!), Doubles(weight.Grad!), 3e-2, what + " d/dweight");
        }
    }

    [TestMethod]
    public void NoRows_ZeroLossAndZeroGradients()
    {
        using var scope = new DisposeScope();
        foreach (var reduction in new[] { Reduction.Sum, Reduction.Mean })
        {
            var hidden = TorchOps.Zeros([0, 4]).WithRequiresGrad();
            var weight = TorchOps.Randn([9, 4], Generator.Create(1)).WithRequiresGrad();
            var result = TorchOps.LinearCrossEntropy(hidden, weight, TorchOps.Zeros([0], ScalarType.Int64), reduction: reduction);
            Assert.AreEqual(0.0, result.Loss.Item<float>());
            result.Loss.Backward();
            Assert.IsTrue(weight.Grad!.ToArray<float>().All(x => x == 0f), $"{reduction}: zero weight gradient");
            CollectionAssert.AreEqual(new long[] { 0, 4 }, hidden.Grad!.Shape);
        }
    }

    [TestMethod]
    public void FrozenHidden_OnlyTheWeightGetsAGradient()
    {
        using var scope = new DisposeScope();
        var inputs = Inputs(7, 5, 6, seed: 2, weighted: false);
        var weight = inputs.Weight.Detach().WithRequiresGrad();
        var result = TorchOps.LinearCrossEntropy(inputs.Hidden.Detach(), weight, inputs.Targets, rowChunk: 3);
        result.Loss.Backward();
        Assert.IsNotNull(weight.Grad);
        var expected = Naive(inputs, Reduction.Mean, null);
        Close(expected.GradWeight, Doubles(weight.Grad!), 1e-5, "d/dweight");
    }

    [TestMethod]
    public void TargetOutsideTheVocabulary_ThrowsNamingRowAndTarget()
    {
        using var scope = new DisposeScope();
        var targets = Tensor.FromArray(new long[] { 1, Ignore, 9 }, 3);
        var e = Assert.ThrowsExactly<TorchException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 4]), targets));
        StringAssert.Contains(e.Message, "target 9 at row 2 is outside the vocabulary [0, 9)");
    }

    [TestMethod]
    public void MismatchedShapesOrDtypes_Throw()
    {
        using var scope = new DisposeScope();
        var t = TorchOps.Zeros([3], ScalarType.Int64);
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 5]), t)).Message, "hidden (N, C) and weight (V, C)");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 4]), TorchOps.Zeros([2], ScalarType.Int64))).Message, "targets (N) = (3)");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 4], ScalarType.Float64), t)).Message, "of one dtype");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 4]), t, TorchOps.Zeros([4]))).Message, "token weights (N)");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchOps.LinearCrossEntropy(TorchOps.Zeros([3, 4]), TorchOps.Zeros([9, 4]), t, scale: 0));
    }

    [TestMethod]
    public void ForwardAndBackward_LeakNoTensor()
    {
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                using var scope = new DisposeScope();
                var inputs = Inputs(11, 4, 13, seed: 8, weighted: true);
                var hidden = inputs.Hidden.Detach().WithRequiresGrad();
                using var result = TorchOps.LinearCrossEntropy(hidden, inputs.Weight, inputs.Targets, inputs.TokenWeights, rowChunk: 4);
                result.Loss.Backward();
            },
            "linear_cross_entropy");
    }

    [TestMethod]
    public void AutomaticChunks_HoldAboutTheDefaultNumberOfLogits()
    {
        Assert.AreEqual((220L, 2041L), TorchOps.LinearCrossEntropyChunks(16384, 151936, 0, 0), "GPU bench shape");
        Assert.AreEqual((516_222L, 65L), TorchOps.LinearCrossEntropyChunks(100, 65, 0, 0), "a small vocabulary: one chunk each way");
        Assert.AreEqual((5L, 8L), TorchOps.LinearCrossEntropyChunks(37, 53, 5, 0), "explicit rows: as many logits per column chunk");
        Assert.AreEqual((5336L, 16384L), TorchOps.LinearCrossEntropyChunks(16384, 50304, 0, 0, TorchOps.FusedLinearCrossEntropyChunkElements), "fused kernel: 2^28 logits per chunk");
        Assert.AreEqual(TorchOps.DefaultLinearCrossEntropyChunkElements, TorchOps.AutomaticChunkElements(Device.Cpu), "the CPU has no fused kernel");
    }

    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Losses", "linear_cross_entropy.json");

    private static void CheckFixture(string name, ScalarType dtype, long rows, long columns, double tolerance)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(FixturePath));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var inputs = c.GetProperty("inputs");
        var outputs = c.GetProperty("outputs");
        var reduction = c.GetProperty("reduction").GetString() switch { "none" => Reduction.None, "sum" => Reduction.Sum, _ => Reduction.Mean };
        using var scope = new DisposeScope();
        var hidden = Load(inputs.GetProperty("hidden"), dtype).WithRequiresGrad();
        var weight = Load(inputs.GetProperty("weight"), dtype).WithRequiresGrad();
        var targets = Load(inputs.GetProperty("targets"), ScalarType.Int64);
        var tokenWeights = inputs.TryGetProperty("token_weights", out var tw) ? Load(tw, dtype).WithRequiresGrad() : null;
        var upstream = inputs.TryGetProperty("upstream", out var up) ? Load(up, dtype) : null;
        var result = TorchOps.LinearCrossEntropy(hidden, weight, targets, tokenWeights, reduction,
            c.GetProperty("ignore_index").GetInt64(), c.GetProperty("scale").GetDouble(), rows, columns);
        result.Loss.Backward(upstream?.To(result.Loss.DType));
        var what = $"{name} {dtype} chunks=({rows}, {columns})";
        Close(Values(outputs.GetProperty("loss")), Doubles(result.Loss), tolerance, what + " loss");
        Close(Values(outputs.GetProperty("nll")), Doubles(result.Nll), tolerance, what + " nll");
        Close(Values(outputs.GetProperty("grad_hidden")), Doubles(hidden.Grad!), tolerance, what + " d/dhidden");
        Close(Values(outputs.GetProperty("grad_weight")), Doubles(weight.Grad!), tolerance, what + " d/dweight");
        if (tokenWeights is not null)
            Close(Values(outputs.GetProperty("grad_token_weights")), Doubles(tokenWeights.Grad!), tolerance, what + " d/dweights");
    }

    private static Tensor Load(JsonElement e, ScalarType dtype)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        if (dtype == ScalarType.Int64) return Tensor.FromArray(e.GetProperty("data").EnumerateArray().Select(x => x.GetInt64()).ToArray(), shape);
        return Tensor.FromArray(Values(e), shape).To(dtype);
    }

    private static double[] Values(JsonElement e) => e.GetProperty("data").EnumerateArray().Select(x => x.GetDouble()).ToArray();

    /// <summary>Every |actual - expected| &lt;= tolerance · max(1, max |expected|) (bf16 products: errors scale with the
    /// tensor's magnitudes, not with each element's).</summary>
    private static void CloseToScale(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        var limit = tolerance * Math.Max(1.0, expected.Max(Math.Abs));
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.IsTrue(worst <= limit, $"{what}: largest difference {worst:G4} over {limit:G3} (scale {expected.Max(Math.Abs):G4})");
    }

    private static double[] Doubles(Tensor t) => t.To(ScalarType.Float64).Reshape(-1).ToArray<double>();

    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        var floats = actual.Select(x => (float)x).ToArray();
        if (tolerance >= 1e-7)
        {
            LossAssert.Close(expected, floats, tolerance, what);
            return;
        }

        for (var i = 0; i < expected.Length; i++)
        {
            var limit = tolerance * Math.Max(1.0, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= limit)) Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    private static HeadInputs Inputs(long n, long c, long v, ulong seed, bool weighted)
    {
        var hidden = TorchOps.Randn([n, c], Generator.Create(seed));                                   // (N, C)
        var weight = TorchOps.Randn([v, c], Generator.Create(seed + 1)).Mul(0.5);                       // (V, C)
        var targets = TorchOps.RandInt(0, v, [n], Generator.Create(seed + 2));                          // (N)
        var ignored = TorchOps.Rand([n], Generator.Create(seed + 3)).Lt(0.2);                           // (N)
        targets = TorchOps.Where(ignored, TorchOps.FullLike(targets, Ignore), targets);
        Tensor? weights = null;
        if (weighted)
        {
            var mask = TorchOps.Rand([n], Generator.Create(seed + 4)).Lt(0.8).To(ScalarType.Float32);  // (N) loss mask
            weights = mask.Mul(TorchOps.Randn([n], Generator.Create(seed + 5)));                        // (N) x advantage
        }

        return new HeadInputs(hidden, weight, targets, weights);
    }

    /// <summary>The naive libtorch head: whole (N, V) logits, cross-entropy per row, weights, reduction; autograd.</summary>
    private static HeadOutputs Naive(HeadInputs inputs, Reduction reduction, Tensor? upstream)
    {
        var hidden = inputs.Hidden.Detach().WithRequiresGrad();
        var weight = inputs.Weight.Detach().WithRequiresGrad();
        var w = inputs.TokenWeights?.Detach().WithRequiresGrad();
        var logits = TorchOps.Linear(hidden, weight);                                                   // (N, V)
        var nll = TorchOps.CrossEntropy(logits, inputs.Targets, Reduction.None, Ignore);                // (N), 0 at ignored
        var perRow = w is null ? nll : nll.Mul(w);                                                      // (N)
        var counted = inputs.Targets.Ne(Ignore).Sum().To(ScalarType.Float32).ClampMin(1.0);
        var loss = reduction switch
        {
            Reduction.None => perRow,
            Reduction.Sum => perRow.Sum(),
            _ => perRow.Sum().Div(counted),
        };
        (reduction == Reduction.None ? perRow.Mul(upstream!).Sum() : loss).Backward();
        return new HeadOutputs(Doubles(loss), Doubles(nll), Doubles(hidden.Grad!), Doubles(weight.Grad!), w is null ? null : Doubles(w.Grad!),
            logits.Argmax(-1).ToArray<long>());
    }

    private static HeadOutputs Chunked(HeadInputs inputs, Reduction reduction, Tensor? upstream, long rows, long columns)
    {
        var hidden = inputs.Hidden.Detach().WithRequiresGrad();
        var weight = inputs.Weight.Detach().WithRequiresGrad();
        var w = inputs.TokenWeights?.Detach().WithRequiresGrad();
        var result = TorchOps.LinearCrossEntropy(hidden, weight, inputs.Targets, w, reduction, Ignore, 1.0, rows, columns);
        result.Loss.Backward(upstream);
        return new HeadOutputs(Doubles(result.Loss), Doubles(result.Nll), Doubles(hidden.Grad!), Doubles(weight.Grad!), w is null ? null : Doubles(w.Grad!),
            result.Predictions.ToArray<long>());
    }

    private sealed record HeadInputs(Tensor Hidden, Tensor Weight, Tensor Targets, Tensor? TokenWeights);

    private sealed record HeadOutputs(double[] Loss, double[] Nll, double[] GradHidden, double[] GradWeight, double[]? GradTokenWeights, long[] Predictions);
}
