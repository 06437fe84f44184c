// GPU tests of the single-function RMSNorm and SwiGLU: on CUDA (through their fused kernels where the library has them) against the CPU's ATen path on the same inputs, values and gradients, float32 and bfloat16, aligned and odd sizes.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class FusedFunctionGpuTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    [TestMethod]
    [DataRow(ScalarType.Float32, 64L, 1e-6, DisplayName = "float32, 16-byte loads")]
    [DataRow(ScalarType.Float32, 63L, 1e-6, DisplayName = "float32, element loads")]
    [DataRow(ScalarType.BFloat16, 64L, 2e-2, DisplayName = "bf16, 16-byte loads")]
    [DataRow(ScalarType.BFloat16, 61L, 2e-2, DisplayName = "bf16, element loads")]
    public void SwiGlu_OnCuda_EqualsTheCpu(ScalarType dtype, long width, double tolerance)
    {
        using var scope = new DisposeScope();
        var gate = TorchOps.Randn([5, 7, width], Generator.Create(1)).Mul(2);
        var up = TorchOps.Randn([5, 7, width], Generator.Create(2));
        var upstream = TorchOps.Randn([5, 7, width], Generator.Create(3));
        var cpu = Run(gate, up, upstream, Device.Cpu, dtype, TorchOps.SwiGlu);
        var gpu = Run(gate, up, upstream, Gpu, dtype, TorchOps.SwiGlu);
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} width {width} output {i}");
    }

    [TestMethod]
    [DataRow(ScalarType.Float32, 96L, 1L, 1e-5, DisplayName = "float32, 16-byte loads")]
    [DataRow(ScalarType.Float32, 61L, 1L, 1e-5, DisplayName = "float32, element loads")]
    [DataRow(ScalarType.BFloat16, 96L, 1L, 2e-2, DisplayName = "bf16, 16-byte loads")]
    [DataRow(ScalarType.BFloat16, 61L, 1L, 2e-2, DisplayName = "bf16, element loads")]
    [DataRow(ScalarType.BFloat16, 896L, 2L, 2e-2, DisplayName = "bf16, two normalized dims, Qwen's width")]
    public void RmsNorm_OnCuda_EqualsTheCpu(ScalarType dtype, long width, long normalizedDims, double tolerance)
    {
        using var scope = new DisposeScope();
        var shape = normalizedDims == 1 ? new long[] { 6, 9, width } : new long[] { 6, 3, 3, width / 3 };
        var wShape = normalizedDims == 1 ? new long[] { width } : new long[] { 3, width / 3 };
        var x = TorchOps.Randn(shape, Generator.Create(4)).Mul(3);
        var w = TorchOps.Randn(wShape, Generator.Create(5));
        var upstream = TorchOps.Randn(shape, Generator.Create(6));
        var cpu = Run(x, w, upstream, Device.Cpu, dtype, (a, b) => TorchOps.RmsNorm(a, b, normalizedDims: normalizedDims));
        var gpu = Run(x, w, upstream, Gpu, dtype, (a, b) => TorchOps.RmsNorm(a, b, normalizedDims: normalizedDims));
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} width {width} output {i}");
    }

    /// <summary>Enough rows that every warp of the fused kernels takes several and the weight gradient sums partial rows
    /// of many blocks; and no weight (the input gradient alone).</summary>
    [TestMethod]
    public void RmsNorm_OnCuda_ManyRowsAndNoWeight_EqualTheCpu()
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([4, 2500, 64], Generator.Create(7));
        var w = TorchOps.Randn([64], Generator.Create(8));
        var upstream = TorchOps.Randn([4, 2500, 64], Generator.Create(9));
        var cpu = Run(x, w, upstream, Device.Cpu, ScalarType.Float32, (a, b) => TorchOps.RmsNorm(a, b));
        var gpu = Run(x, w, upstream, Gpu, ScalarType.Float32, (a, b) => TorchOps.RmsNorm(a, b));
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], 1e-4, $"many rows output {i}");

        var cpuPlain = Run(x, w, upstream, Device.Cpu, ScalarType.Float32, (a, _) => TorchOps.RmsNorm(a));
        var gpuPlain = Run(x, w, upstream, Gpu, ScalarType.Float32, (a, _) => TorchOps.RmsNorm(a));
        for (var i = 0; i < 2; i++) Close(cpuPlain[i], gpuPlain[i], 1e-5, $"no weight output {i}");
    }

    /// <summary>The fused rotary kernels against the CPU: queries as the projections lay them out (a transposed view),
    /// contiguous keys, one table row shared by the batch, and a head width without 16-byte packs.</summary>
    [TestMethod]
    [DataRow(ScalarType.Float32, 64L, true, 2L, 1e-6, DisplayName = "float32, transposed view, 16-byte loads")]
    [DataRow(ScalarType.BFloat16, 64L, true, 2L, 2e-2, DisplayName = "bf16, transposed view, 16-byte loads")]
    [DataRow(ScalarType.BFloat16, 64L, false, 1L, 2e-2, DisplayName = "bf16, contiguous, shared tables")]
    [DataRow(ScalarType.BFloat16, 6L, true, 2L, 2e-2, DisplayName = "bf16, element loads")]
    public void RotaryEmbedding_OnCuda_EqualsTheCpu(ScalarType dtype, long headDim, bool transposedView, long tableBatch, double tolerance)
    {
        using var scope = new DisposeScope();
        var x = transposedView
            ? TorchOps.Randn([2, 7, 3, headDim], Generator.Create(10)).Transpose(1, 2)                  // (B, H, T, D) view of (B, T, H, D)
            : TorchOps.Randn([2, 3, 7, headDim], Generator.Create(10));
        var angles = TorchOps.Randn([tableBatch, 7, headDim], Generator.Create(11));
        var upstream = TorchOps.Randn([2, 3, 7, headDim], Generator.Create(12));
        double[][] Rotate(Device device)
        {
            using var inner = new DisposeScope();
            var x1 = (transposedView ? x.Transpose(1, 2).To(device, dtype).Transpose(1, 2) : x.To(device, dtype)).Detach().WithRequiresGrad();
            var y = TorchOps.RotaryEmbedding(x1, angles.Cos().To(device, dtype), angles.Sin().To(device, dtype));
            y.Backward(upstream.To(device, dtype));
            static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Contiguous().Reshape(-1).ToArray<double>();
            return [D(y), D(x1.Grad!)];
        }

        var cpu = Rotate(Device.Cpu);
        var gpu = Rotate(Gpu);
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} D {headDim} output {i}");
    }

    private static double[][] Run(Tensor a, Tensor b, Tensor upstream, Device device, ScalarType dtype, Func<Tensor, Tensor, Tensor> f)
    {
        using var scope = new DisposeScope();
        var a1 = a.To(device, dtype).Detach().WithRequiresGrad();
        var b1 = b.To(device, dtype).Detach().WithRequiresGrad();
        var y = f(a1, b1);
        y.Backward(upstream.To(device, dtype));
        static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Reshape(-1).ToArray<double>();
        return b1.Grad is { } gb ? [D(y), D(a1.Grad!), D(gb)] : [D(y), D(a1.Grad!)];
    }

    /// <summary>Within tolerance · max(1, max |expected|) elementwise.</summary>
    private static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what + ": length");
        var limit = tolerance * Math.Max(1.0, expected.Max(Math.Abs));
        for (var i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= limit)) Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (limit {limit:G3})");
        }
    }
}
