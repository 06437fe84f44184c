// Autograd of every differentiable operation matches central finite differences in float64 (relative error < 1e-6).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class FiniteDifferenceTests
{
    private const double Step = 1e-6;
    private const double MaxRelativeError = 1e-6;

    private static readonly Dictionary<string, (Func<Tensor[], Tensor> Function, Func<Tensor[]> Inputs)> Cases = new(StringComparer.Ordinal)
    {
        // Arithmetic (tensor-tensor with broadcasting, tensor-scalar, scalar-tensor).
        ["add"] = (x => x[0] + x[1], () => [U(1, 2, 3), U(2, 3)]),
        ["add_alpha"] = (x => x[0].Add(x[1], 0.7), () => [U(1, 2, 3), U(2, 2, 3)]),
        ["sub"] = (x => x[0] - x[1], () => [U(1, 2, 3), U(2, 1, 3)]),
        ["mul"] = (x => x[0] * x[1], () => [U(1, 2, 3), U(2, 3)]),
        ["div"] = (x => x[0] / x[1], () => [U(1, 2, 3), P(2, 3)]),
        ["scalar_ops"] = (x => ((x[0] * 3.0) + 2.0 - 1.5) / 4.0, () => [U(1, 2, 3)]),
        ["scalar_left_ops"] = (x => (2.0 - x[0]) + (3.0 / x[0]) + (2.0 * x[0]), () => [P(1, 2, 3)]),
        ["pow_scalar"] = (x => x[0].Pow(2.5), () => [P(1, 4)]),
        ["pow_tensor"] = (x => x[0].Pow(x[1]), () => [P(1, 4), U(2, 4)]),
        ["neg"] = (x => -x[0], () => [U(1, 4)]),
        ["abs"] = (x => x[0].Abs(), () => [Away(1, 5)]),
        ["exp"] = (x => x[0].Exp(), () => [U(1, 5)]),
        ["log"] = (x => x[0].Log(), () => [P(1, 5)]),
        ["log1p"] = (x => x[0].Log1p(), () => [P(1, 5)]),
        ["sqrt"] = (x => x[0].Sqrt(), () => [P(1, 5)]),
        ["rsqrt"] = (x => x[0].Rsqrt(), () => [P(1, 5)]),
        ["sin_cos"] = (x => x[0].Sin() * x[0].Cos(), () => [U(1, 5)]),
        ["tanh"] = (x => x[0].Tanh(), () => [U(1, 5)]),
        ["sigmoid"] = (x => x[0].Sigmoid(), () => [U(1, 5)]),
        ["reciprocal"] = (x => x[0].Reciprocal(), () => [P(1, 5)]),
        ["square"] = (x => x[0].Square(), () => [U(1, 5)]),
        ["clamp"] = (x => x[0].Clamp(-0.55, 0.65), () => [Away(1, 6)]),
        ["maximum_minimum"] = (x => x[0].Maximum(x[1]) + x[0].Minimum(x[1]), () => [U(1, 6), U(2, 6)]),

        // Matrix products.
        ["matmul"] = (x => x[0].Matmul(x[1]), () => [U(1, 2, 3), U(2, 3, 4)]),
        ["matmul_batched_broadcast"] = (x => x[0].Matmul(x[1]), () => [U(1, 2, 2, 3), U(2, 3, 2)]),
        ["bmm"] = (x => x[0].Bmm(x[1]), () => [U(1, 2, 2, 3), U(2, 2, 3, 2)]),
        ["mm"] = (x => x[0].Mm(x[1]), () => [U(1, 3, 2), U(2, 2, 3)]),
        ["linear"] = (x => TorchOps.Linear(x[0], x[1], x[2]), () => [U(1, 2, 3), U(2, 4, 3), U(3, 4)]),

        // Reductions.
        ["sum_all"] = (x => x[0].Sum(), () => [U(1, 2, 3)]),
        ["sum_dims"] = (x => x[0].Sum([0, 2], keepDim: true), () => [U(1, 2, 3, 2)]),
        ["mean_all"] = (x => x[0].Mean(), () => [U(1, 2, 3)]),
        ["mean_dim"] = (x => x[0].Mean(1), () => [U(1, 2, 3, 2)]),
        ["max_dim"] = (x => x[0].Max(1).Values, () => [U(1, 3, 4)]),
        ["max_min_all"] = (x => x[0].Max() + x[0].Min(), () => [U(1, 3, 4)]),
        ["logsumexp"] = (x => x[0].Logsumexp(1), () => [U(1, 3, 4)]),
        ["norm"] = (x => x[0].Norm(), () => [U(1, 3, 4)]),
        ["cumsum"] = (x => x[0].Cumsum(1), () => [U(1, 2, 4)]),
        ["topk"] = (x => x[0].TopK(2).Values, () => [U(1, 3, 5)]),

        // Activations, softmax, normalization.
        ["gelu"] = (x => x[0].Gelu(), () => [U(1, 6)]),
        ["gelu_tanh"] = (x => x[0].Gelu(tanhApproximation: true), () => [U(1, 6)]),
        ["silu"] = (x => x[0].Silu(), () => [U(1, 6)]),
        ["relu"] = (x => x[0].Relu(), () => [Away(1, 6)]),
        ["softmax"] = (x => x[0].Softmax(-1), () => [U(1, 2, 4)]),
        ["log_softmax"] = (x => x[0].LogSoftmax(0), () => [U(1, 3, 4)]),
        ["layer_norm"] = (x => TorchOps.LayerNorm(x[0], [4], x[1], x[2]), () => [U(1, 2, 4), U(2, 4), U(3, 4)]),
        ["layer_norm_2d"] = (x => TorchOps.LayerNorm(x[0], [2, 3]), () => [U(1, 2, 2, 3)]),
        ["rms_norm"] = (x => TorchOps.RmsNorm(x[0], x[1]), () => [U(1, 3, 4), U(2, 4)]),
        ["embedding"] = (x => TorchOps.Embedding(x[0], Tensor.FromArray(new long[] { 0, 3, 3, 1 }, 2, 2)), () => [U(1, 5, 3)]),
        ["dropout"] = (x => Seeded(() => TorchOps.Dropout(x[0], 0.4)), () => [U(1, 3, 4)]),

        // Losses.
        ["cross_entropy_mean_ignore"] = (x => TorchOps.CrossEntropy(x[0], Tensor.FromArray(new long[] { 2, -100, 0 })), () => [U(1, 3, 4)]),
        ["cross_entropy_sum"] = (x => TorchOps.CrossEntropy(x[0], Tensor.FromArray(new long[] { 2, 1, 0 }), Reduction.Sum), () => [U(1, 3, 4)]),
        ["cross_entropy_none"] = (x => TorchOps.CrossEntropy(x[0], Tensor.FromArray(new long[] { 3, 1, 0 }), Reduction.None), () => [U(1, 3, 4)]),
        ["cross_entropy_smoothing"] = (x => TorchOps.CrossEntropy(x[0], Tensor.FromArray(new long[] { 2, 1, 0 }), labelSmoothing: 0.2), () => [U(1, 3, 4)]),
        ["cross_entropy_nd"] = (x => TorchOps.CrossEntropy(x[0], Tensor.FromArray(new long[] { 1, 0, 2, 2 }, 2, 2)), () => [U(1, 2, 3, 2)]),
        ["nll_loss"] = (x => TorchOps.NllLoss(x[0].LogSoftmax(1), Tensor.FromArray(new long[] { 2, 0, 1 })), () => [U(1, 3, 4)]),
        ["mse_loss"] = (x => TorchOps.MseLoss(x[0], x[1]), () => [U(1, 3, 2), U(2, 3, 2)]),

        // Resampling.
        ["interpolate_bilinear"] = (x => TorchOps.Interpolate(x[0], 3, 5), () => [U(1, 1, 2, 4, 3)]),
        ["interpolate_bilinear_align"] = (x => TorchOps.Interpolate(x[0], 5, 2, alignCorners: true), () => [U(1, 1, 1, 3, 4)]),
        ["interpolate_area"] = (x => TorchOps.Interpolate(x[0], 2, 3, InterpolationMode.Area), () => [U(1, 1, 2, 4, 6)]),

        // Shape and indexing.
        ["view_reshape"] = (x => x[0].View(3, 2).Reshape(6) * TorchOps.Arange(1.0, 7.0, 1.0, ScalarType.Float64), () => [U(1, 2, 3)]),
        ["transpose_permute"] = (x => x[0].Transpose(0, 1).Permute(2, 0, 1).Contiguous(), () => [U(1, 2, 3, 2)]),
        ["unsqueeze_squeeze_flatten"] = (x => x[0].Unsqueeze(0).Squeeze(0).Unsqueeze(1).Flatten(), () => [U(1, 2, 3)]),
        ["expand_repeat"] = (x => x[0].Expand(3, 2, 4) + x[0].Repeat(3, 1, 1), () => [U(1, 1, 2, 4)]),
        ["slice_narrow_select"] = (x => x[0].Slice(1, 1, 4, 2) + x[0].Narrow(1, 0, 2) + x[0].Select(1, 3), () => [U(1, 2, 5)]),
        ["index_select"] = (x => x[0].IndexSelect(1, Tensor.FromArray(new long[] { 2, 0, 2 })), () => [U(1, 2, 3)]),
        ["gather"] = (x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 2, 1, 1 }, 2, 2)), () => [U(1, 2, 3)]),
        ["scatter"] = (x => x[0].Scatter(1, Tensor.FromArray(new long[] { 0, 2, 1, 3 }, 2, 2), x[1]), () => [U(1, 2, 4), U(2, 2, 2)]),
        ["scatter_add"] = (x => x[0].ScatterAdd(1, Tensor.FromArray(new long[] { 0, 0, 1, 1 }, 2, 2), x[1]), () => [U(1, 2, 3), U(2, 2, 2)]),
        ["cat_stack"] = (x => TorchOps.Cat([x[0], x[1]], 1).Sum(1) + TorchOps.Stack([x[0], x[0]], 0).Sum([0, 2]), () => [U(1, 2, 3), U(2, 2, 2)]),
        ["split_chunk"] = (x => x[0].Split([1, 3], 1)[1].Sum(1) * x[0].Chunk(2, 1)[0].Sum(1), () => [U(1, 2, 4)]),
        ["where"] = (x => TorchOps.Where(Tensor.FromArray(new[] { true, false, true, false }, 2, 2), x[0], x[1]), () => [U(1, 2, 2), U(2, 2, 2)]),
        ["masked_fill"] = (x => x[0].MaskedFill(Tensor.FromArray(new[] { true, false, false, true }, 2, 2), 5.0), () => [U(1, 2, 2)]),
        ["masked_select"] = (x => x[0].MaskedSelect(Tensor.FromArray(new[] { true, false, true, true }, 2, 2)), () => [U(1, 2, 2)]),
        ["tril_triu"] = (x => x[0].Tril() + (x[0].Triu(1) * 2.0), () => [U(1, 3, 3)]),
        ["clone_contiguous_to"] = (x => x[0].Transpose(0, 1).Contiguous().Clone().To(ScalarType.Float64), () => [U(1, 2, 3)]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(CaseNames))]
    public void Gradient_MatchesCentralDifferences(string name)
    {
        var (function, makeInputs) = Cases[name];
        using var scope = new DisposeScope();
        var inputs = makeInputs();
        var leaves = inputs.Select(t => t.Detach().Clone().WithRequiresGrad()).ToArray();
        var output = function(leaves);
        using var weightGenerator = Generator.Create(99);
        var weights = TorchOps.Randn(output.Shape, weightGenerator, ScalarType.Float64);
        (output * weights).Sum().Backward();

        var worst = 0.0;
        for (var k = 0; k < inputs.Length; k++)
        {
            var analytic = leaves[k].Grad?.ToArray<double>() ?? new double[inputs[k].NumberOfElements];
            var data = inputs[k].ToArray<double>();
            var shape = inputs[k].Shape;
            for (var j = 0; j < data.Length; j++)
            {
                var original = data[j];
                data[j] = original + Step;
                var plus = Objective(function, inputs, k, data, shape, weights);
                data[j] = original - Step;
                var minus = Objective(function, inputs, k, data, shape, weights);
                data[j] = original;
                var numeric = (plus - minus) / (2 * Step);
                var error = Math.Abs(numeric - analytic[j]) / Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(analytic[j])));
                worst = Math.Max(worst, error);
                Assert.IsLessThan(MaxRelativeError, error, $"{name}: input {k} element {j}: autograd {analytic[j]} vs finite difference {numeric}");
            }
        }

        Console.WriteLine($"{name}: worst relative error {worst:E2}");
    }

    [TestMethod]
    public void Checker_WrongGradient_IsDetected()
    {
        // A function whose recorded graph differs from its value (x * x.detach() has gradient x, not 2x) must fail the
        // comparison, proving the checker can fail.
        using var scope = new DisposeScope();
        var x = U(1, 3).Detach().Clone().WithRequiresGrad();
        (x * x.Detach()).Sum().Backward();
        var analytic = x.Grad!.ToArray<double>();
        var data = x.Detach().ToArray<double>();
        var numeric = (Square(data, 0, Step) - Square(data, 0, -Step)) / (2 * Step);
        Assert.IsGreaterThan(MaxRelativeError, Math.Abs(numeric - analytic[0]) / Math.Max(1, Math.Abs(numeric)));

        static double Square(double[] v, int i, double h) => v.Select((e, j) => j == i ? (e + h) * (e + h) : e * e).Sum();
    }

    private static double Objective(Func<Tensor[], Tensor> function, Tensor[] inputs, int k, double[] data, long[] shape, Tensor weights)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var args = (Tensor[])inputs.Clone();
        args[k] = Tensor.FromArray(data, shape);
        return (function(args) * weights).Sum().Item<double>();
    }

    /// <summary>Float64 values uniform in [-1, 1), seeded.</summary>
    private static Tensor U(ulong seed, params long[] shape)
    {
        using var g = Generator.Create(seed);
        return (TorchOps.Rand(shape, g, ScalarType.Float64) * 2.0) - 1.0;
    }

    /// <summary>Float64 values uniform in [0.5, 2), seeded (for log, sqrt, division).</summary>
    private static Tensor P(ulong seed, params long[] shape)
    {
        using var g = Generator.Create(seed);
        return (TorchOps.Rand(shape, g, ScalarType.Float64) * 1.5) + 0.5;
    }

    /// <summary>Float64 values with |x| in [0.1, 1), seeded (away from kinks at 0 and from clamp bounds ±0.55/0.65 by
    /// more than the step).</summary>
    private static Tensor Away(ulong seed, params long[] shape)
    {
        var u = U(seed, shape);
        var sign = u.Sign();
        var magnitude = (u.Abs() * 0.9) + 0.1;
        return sign * magnitude;
    }

    /// <summary>Runs a random operation with the same global seed each time, so every evaluation draws the same mask.</summary>
    private static Tensor Seeded(Func<Tensor> f)
    {
        TorchOps.ManualSeed(7);
        return f();
    }
}
