// GPU tests of the single-function RMSNorm and SwiGLU: on CUDA (SwiGLU through its fused kernel where the library has
// it) against the CPU's ATen path on the same inputs, values and gradients, float32 and bfloat16, aligned and odd sizes.
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
    [DataRow(ScalarType.Float32, 1e-5)]
    [DataRow(ScalarType.BFloat16, 2e-2)]
    public void RmsNorm_OnCuda_EqualsTheCpu(ScalarType dtype, double tolerance)
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([6, 9, 96], Generator.Create(4)).Mul(3);
        var w = TorchOps.Randn([96], Generator.Create(5));
        var upstream = TorchOps.Randn([6, 9, 96], Generator.Create(6));
        var cpu = Run(x, w, upstream, Device.Cpu, dtype, (a, b) => TorchOps.RmsNorm(a, b));
        var gpu = Run(x, w, upstream, Gpu, dtype, (a, b) => TorchOps.RmsNorm(a, b));
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} output {i}");
    }

    private static double[][] Run(Tensor a, Tensor b, Tensor upstream, Device device, ScalarType dtype, Func<Tensor, Tensor, Tensor> f)
    {
        using var scope = new DisposeScope();
        var a1 = a.To(device, dtype).Detach().WithRequiresGrad();
        var b1 = b.To(device, dtype).Detach().WithRequiresGrad();
        var y = f(a1, b1);
        y.Backward(upstream.To(device, dtype));
        static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Reshape(-1).ToArray<double>();
        return [D(y), D(a1.Grad!), D(b1.Grad!)];
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
