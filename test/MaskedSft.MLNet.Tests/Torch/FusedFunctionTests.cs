// RMSNorm and SwiGLU as single autograd functions (rms_norm.cpp, swiglu.cpp): the same values and gradients as their
// compositions of elementary ops, in float64, float32 and bfloat16, with and without a weight, over one and two
// dimensions; the rotary embedding (rotary_embedding.cpp) against the rotation written out; clear errors; nothing leaked.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize] // the leak test reads the process-wide tensor counters
public sealed class FusedFunctionTests
{
    [TestMethod]
    [DataRow(ScalarType.Float64, 1e-12)]
    [DataRow(ScalarType.Float32, 1e-5)]
    [DataRow(ScalarType.BFloat16, 2e-2)]
    public void RmsNorm_EqualsTheComposition_ValuesAndGradients(ScalarType dtype, double tolerance)
    {
        foreach (var (shape, ndim, withWeight) in new (long[], long, bool)[] { ([3, 5, 16], 1, true), ([4, 6, 8], 2, true), ([2, 7, 12], 1, false) })
        {
            using var scope = new DisposeScope();
            var x = TorchOps.Randn(shape, Generator.Create(1)).Mul(3).To(dtype);
            var w = withWeight ? TorchOps.Randn(shape[^(int)ndim..], Generator.Create(2)).To(dtype) : null;
            var upstream = TorchOps.Randn(shape, Generator.Create(3)).To(dtype);
            var (y1, gx1, gw1) = Run(x, w, upstream, (a, b) => TorchOps.RmsNorm(a, b, 1e-6, ndim));
            var (y2, gx2, gw2) = Run(x, w, upstream, (a, b) => ComposedRmsNorm(a, b, 1e-6, ndim));
            var what = $"{dtype} [{string.Join(", ", shape)}] ndim={ndim} weight={withWeight}";
            Close(y2, y1, tolerance, what + " y");
            Close(gx2, gx1, tolerance, what + " dx");
            if (withWeight) Close(gw2!, gw1!, tolerance, what + " dweight");
        }
    }

    [TestMethod]
    [DataRow(ScalarType.Float64, 1e-12)]
    [DataRow(ScalarType.Float32, 1e-6)]
    [DataRow(ScalarType.BFloat16, 1e-2)]
    public void SwiGlu_EqualsSiluTimesUp_ValuesAndGradients(ScalarType dtype, double tolerance)
    {
        using var scope = new DisposeScope();
        var gate = TorchOps.Randn([4, 9, 32], Generator.Create(4)).Mul(2).To(dtype);
        var up = TorchOps.Randn([4, 9, 32], Generator.Create(5)).To(dtype);
        var upstream = TorchOps.Randn([4, 9, 32], Generator.Create(6)).To(dtype);
        var (y1, gg1, gu1) = Run(gate, up, upstream, (g, u) => TorchOps.SwiGlu(g, u!));
        var (y2, gg2, gu2) = Run(gate, up, upstream, (g, u) => g!.Silu().Mul(u!));
        Close(y2, y1, tolerance, $"{dtype} y");
        Close(gg2, gg1, tolerance, $"{dtype} dgate");
        Close(gu2!, gu1!, tolerance, $"{dtype} dup");
    }

    /// <summary>The rotation by hand: y[i] = x[i] cos[i] - x[i + D/2] sin[i], y[i + D/2] = x[i + D/2] cos[i + D/2] + x[i] sin[i + D/2];
    /// its gradient through autograd of the same ops.</summary>
    [TestMethod]
    public void RotaryEmbedding_RotatesHalves_ValuesAndGradients()
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([2, 3, 5, 8], Generator.Create(8));                  // (B, H, T, D)
        var cos = TorchOps.Randn([2, 5, 8], Generator.Create(9));
        var sin = TorchOps.Randn([2, 5, 8], Generator.Create(10));
        var upstream = TorchOps.Randn([2, 3, 5, 8], Generator.Create(11));
        var (y1, gx1, _) = Run(x, null, upstream, (a, _) => TorchOps.RotaryEmbedding(a, cos, sin));
        var (y2, gx2, _) = Run(x, null, upstream, (a, _) =>
        {
            var x1 = a.Narrow(-1, 0, 4);
            var x2 = a.Narrow(-1, 4, 4);
            var c = cos.Unsqueeze(1);
            var s = sin.Unsqueeze(1);
            var low = x1.Mul(c.Narrow(-1, 0, 4)).Sub(x2.Mul(s.Narrow(-1, 0, 4)));
            var high = x2.Mul(c.Narrow(-1, 4, 4)).Add(x1.Mul(s.Narrow(-1, 4, 4)));
            return TorchOps.Cat([low, high], -1);
        });
        Close(y2, y1, 1e-6, "y");
        Close(gx2, gx1, 1e-6, "dx");
    }

    [TestMethod]
    public void BadShapes_ThrowNamingThem()
    {
        using var scope = new DisposeScope();
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.SwiGlu(TorchOps.Zeros([2, 3]), TorchOps.Zeros([2, 4]))).Message, "gate and up of one shape");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.RmsNorm(TorchOps.Zeros([2, 3]), TorchOps.Ones([4]))).Message, "must have the normalized shape");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.RmsNorm(TorchOps.Zeros([2, 3]), null, 1e-6, 3)).Message, "out of range");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.RotaryEmbedding(TorchOps.Zeros([1, 2, 3, 5]), TorchOps.Zeros([1, 3, 5]), TorchOps.Zeros([1, 3, 5]))).Message, "D even");
        StringAssert.Contains(Assert.ThrowsExactly<TorchException>(() => TorchOps.RotaryEmbedding(TorchOps.Zeros([1, 2, 3, 4]), TorchOps.Zeros([1, 4, 4]), TorchOps.Zeros([1, 4, 4]))).Message, "tables (B or 1, T, D)");
    }

    [TestMethod]
    public void ForwardAndBackward_LeakNoTensor()
    {
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                using var scope = new DisposeScope();
                var x = TorchOps.Randn([2, 3, 8], Generator.Create(7)).WithRequiresGrad();
                var w = TorchOps.Ones([8]).WithRequiresGrad();
                var rotated = TorchOps.RotaryEmbedding(x.Unsqueeze(1), TorchOps.Ones([2, 3, 8]), TorchOps.Zeros([2, 3, 8])).Squeeze(1);
                TorchOps.SwiGlu(TorchOps.RmsNorm(rotated, w), x).Sum().Backward();
            },
            "rms_norm + swiglu + rotary_embedding");
    }

    /// <summary>The composition the functions replace (half inputs normalized in float32, cast back, then scaled).</summary>
    private static Tensor ComposedRmsNorm(Tensor x, Tensor? w, double eps, long ndim)
    {
        var dims = Enumerable.Range(1, (int)ndim).Select(i => (long)-i).ToArray();
        var low = x.DType is ScalarType.BFloat16 or ScalarType.Float16;
        var xf = low ? x.To(ScalarType.Float32) : x;
        var y = xf.Mul(xf.Square().Mean(dims, keepDim: true).Add(eps).Rsqrt());
        if (low) y = y.To(x.DType);
        return w is null ? y : y.Mul(w);
    }

    private static (double[] Y, double[] GradA, double[]? GradB) Run(Tensor a, Tensor? b, Tensor upstream, Func<Tensor, Tensor?, Tensor> f)
    {
        var a1 = a.Detach().WithRequiresGrad();
        var b1 = b?.Detach().WithRequiresGrad();
        var y = f(a1, b1);
        y.Backward(upstream);
        return (D(y), D(a1.Grad!), b1 is null ? null : D(b1.Grad!));
    }

    private static double[] D(Tensor t) => t.To(ScalarType.Float64).Reshape(-1).ToArray<double>();

    /// <summary>Relative to the largest magnitude of the expected values (bf16 rounding is relative to the values' scale).</summary>
    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what + ": length");
        var scale = Math.Max(1.0, expected.Max(Math.Abs));
        for (var i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * scale))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance * scale:G3})");
        }
    }
}
