// GPU tests of the chunked LM head + cross-entropy: the fused CUDA kernel (nvcc build) against the ATen composite the CPU
// runs, on the same inputs: losses, NLL, argmax and gradients, float32 and bfloat16, vectorized and scalar row layouts.
using MaskedSft.MLNet.Tests.Losses;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class LinearCrossEntropyGpuTests
{
    private const long Ignore = -100;
    private static readonly Device Gpu = Device.Cuda(0);

    [TestMethod]
    public void TheGpuBuild_HasTheFusedKernel()
    {
        Assert.IsTrue(TorchOps.HasFusedCrossEntropyKernel, "the native library on the GPU machine is built with nvcc (scripts/gpu/*: cmake finds it)");
        Assert.AreEqual(TorchOps.FusedLinearCrossEntropyChunkElements, TorchOps.AutomaticChunkElements(Gpu));
    }

    [TestMethod]
    [DataRow(64L, DisplayName = "V = 512: 16-byte loads")]
    [DataRow(61L, DisplayName = "V = 489: element loads")]
    public void Float32_FusedKernel_EqualsTheCpuComposite(long vocabUnit)
    {
        var tf32 = TorchOps.AllowTF32;
        TorchOps.AllowTF32 = false;  // float32 products on both sides (an earlier CUDA training test may have turned TF32 on)
        try
        {
            Float32Cases(vocabUnit);
        }
        finally
        {
            TorchOps.AllowTF32 = tf32;
        }
    }

    private static void Float32Cases(long vocabUnit)
    {
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
        {
            using var scope = new DisposeScope();
            var (n, c, v) = (300L, 48L, vocabUnit * 8 + (vocabUnit % 2));
            var inputs = Inputs(n, c, v, seed: 21);
            var upstream = reduction == Reduction.None ? TorchOps.Randn([n], Generator.Create(29)) : null;
            var cpu = Run(inputs, Device.Cpu, ScalarType.Float32, reduction, upstream, rows: 70, scale: 1.25);
            var gpu = Run(inputs, Gpu, ScalarType.Float32, reduction, upstream, rows: 70, scale: 1.25);
            var what = $"{reduction} V={v}";
            LossAssert.Close(cpu.Loss, gpu.Loss.Select(x => (float)x).ToArray(), 1e-5, what + " loss");
            LossAssert.Close(cpu.Nll, gpu.Nll.Select(x => (float)x).ToArray(), 1e-5, what + " nll");
            CollectionAssert.AreEqual(cpu.Predictions, gpu.Predictions, what + " argmax");
            RelativelyClose(cpu.GradHidden, gpu.GradHidden, 1e-5, what + " d/dhidden");
            RelativelyClose(cpu.GradWeight, gpu.GradWeight, 1e-5, what + " d/dweight");
            RelativelyClose(cpu.GradTokenWeights, gpu.GradTokenWeights, 1e-5, what + " d/dweights");
        }
    }

    [TestMethod]
    public void BFloat16_FusedKernel_CloseToTheCpuComposite()
    {
        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            using var scope = new DisposeScope();
            var (n, c, v) = (257L, 64L, 50304L);
            var inputs = Inputs(n, c, v, seed: 31);
            var upstream = reduction == Reduction.None ? TorchOps.Randn([n], Generator.Create(39)) : null;
            var cpu = Run(inputs, Device.Cpu, ScalarType.BFloat16, reduction, upstream, rows: 100, scale: 1.0);
            var gpu = Run(inputs, Gpu, ScalarType.BFloat16, reduction, upstream, rows: 100, scale: 1.0);
            var what = reduction.ToString();
            // The statistics are float32 on both sides; the bf16 products (and bf16 gradients) round differently.
            LossAssert.Close(cpu.Loss, gpu.Loss.Select(x => (float)x).ToArray(), 2e-2, what + " loss");
            LossAssert.Close(cpu.Nll, gpu.Nll.Select(x => (float)x).ToArray(), 2e-2, what + " nll");
            RelativelyClose(cpu.GradHidden, gpu.GradHidden, 3e-2, what + " d/dhidden");
            RelativelyClose(cpu.GradWeight, gpu.GradWeight, 3e-2, what + " d/dweight");
        }
    }

    private static (Tensor Hidden, Tensor Weight, Tensor Targets, Tensor TokenWeights) Inputs(long n, long c, long v, ulong seed)
    {
        var hidden = TorchOps.Randn([n, c], Generator.Create(seed));                                   // (N, C)
        var weight = TorchOps.Randn([v, c], Generator.Create(seed + 1)).Mul(0.3);                       // (V, C)
        var targets = TorchOps.RandInt(0, v, [n], Generator.Create(seed + 2));                          // (N)
        targets = TorchOps.Where(TorchOps.Rand([n], Generator.Create(seed + 3)).Lt(0.2), TorchOps.FullLike(targets, Ignore), targets);
        var tokenWeights = TorchOps.Randn([n], Generator.Create(seed + 4));                             // (N)
        return (hidden, weight, targets, tokenWeights);
    }

    private static Outputs Run((Tensor Hidden, Tensor Weight, Tensor Targets, Tensor TokenWeights) inputs, Device device, ScalarType dtype,
        Reduction reduction, Tensor? upstream, long rows, double scale)
    {
        using var scope = new DisposeScope();
        var hidden = inputs.Hidden.To(device, dtype).Detach().WithRequiresGrad();
        var weight = inputs.Weight.To(device, dtype).Detach().WithRequiresGrad();
        var tokenWeights = inputs.TokenWeights.To(device).Detach().WithRequiresGrad();
        var result = TorchOps.LinearCrossEntropy(hidden, weight, inputs.Targets.To(device), tokenWeights, reduction, Ignore, scale, rows);
        result.Loss.Backward(upstream?.To(device));
        static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Reshape(-1).ToArray<double>();
        return new Outputs(D(result.Loss), D(result.Nll), result.Predictions.To(Device.Cpu).ToArray<long>(), D(hidden.Grad!), D(weight.Grad!), D(tokenWeights.Grad!));
    }

    /// <summary>Asserts ‖actual - expected‖ ≤ tolerance · ‖expected‖ (gradients are small: an absolute bound says little).</summary>
    private static void RelativelyClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what + ": length");
        var difference = Math.Sqrt(expected.Zip(actual).Sum(p => (p.First - p.Second) * (p.First - p.Second)));
        var norm = Math.Sqrt(expected.Sum(x => x * x));
        Assert.IsTrue(norm > 0, what + ": a nonzero reference");
        Assert.IsTrue(difference <= tolerance * norm, $"{what}: relative error {difference / norm:G3} > {tolerance:G3}");
    }

    private sealed record Outputs(double[] Loss, double[] Nll, long[] Predictions, double[] GradHidden, double[] GradWeight, double[] GradTokenWeights);
}
