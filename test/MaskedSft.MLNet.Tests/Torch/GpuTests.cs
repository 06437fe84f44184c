// GPU tests (TestCategory "GPU"): CUDA tensors, autograd and optimizer steps on CUDA against CPU, bf16 matmul accuracy.
// Without CUDA they are reported skipped, never passed. Run them on the GPU machine with scripts/gpu/run-gpu-tests.sh.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class GpuTests
{
    private static readonly Device Gpu = Device.Cuda(0);

    [TestMethod]
    public void CudaTensor_RoundTripsAndComputesOnTheDevice()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromSpan<float>([1, 2, 3, 4], [2, 2], Gpu);
        Assert.AreEqual(Gpu, a.Device);
        var b = (a * 2) + TorchOps.Ones([2], device: Gpu);
        Assert.AreEqual(Gpu, b.Device);
        CollectionAssert.AreEqual(new float[] { 3, 5, 7, 9 }, b.ToArray<float>());
        Assert.AreEqual(Device.Cpu, b.Cpu().Device);
        Assert.AreEqual(24f, b.Sum().Item<float>());
        Assert.IsTrue(Device.CudaDeviceCount >= 1);
        Assert.AreEqual(Gpu, Device.Auto);
    }

    [TestMethod]
    public void MixedDevices_ThrowTorchExceptionNamingBoth()
    {
        using var scope = new DisposeScope();
        var ex = Assert.ThrowsExactly<TorchException>(() => TorchOps.Ones([2, 2], device: Gpu).Matmul(TorchOps.Ones([2, 2])));
        StringAssert.Contains(ex.Message, "cuda:0");
        StringAssert.Contains(ex.Message, "cpu");
    }

    [TestMethod]
    public void Autograd_OnCuda_MatchesCpu()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(1);
        var x = TorchOps.Randn([16, 32], g, ScalarType.Float64);
        var w = TorchOps.Randn([10, 32], g, ScalarType.Float64);
        var target = TorchOps.RandInt(0, 10, [16], g);
        var (cpuLoss, cpuGrad) = LossAndGrad(x, w, target);
        var (gpuLoss, gpuGrad) = LossAndGrad(x.To(Gpu), w.To(Gpu), target.To(Gpu));
        Assert.AreEqual(cpuLoss, gpuLoss, 1e-9 * Math.Abs(cpuLoss));
        var diff = (gpuGrad.Cpu() - cpuGrad).Abs().Max().Item<double>();
        Assert.IsLessThan(1e-9, diff);

        static (double Loss, Tensor Grad) LossAndGrad(Tensor x, Tensor w, Tensor target)
        {
            var leaf = w.Detach().Clone().WithRequiresGrad();
            var loss = TorchOps.CrossEntropy(TorchOps.Linear(x, leaf).Gelu(), target);
            loss.Backward();
            return (loss.Item<double>(), leaf.Grad!);
        }
    }

    [TestMethod]
    public void AdamWStep_OnCuda_MatchesCpu()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(2);
        var init = TorchOps.Randn([64], g, ScalarType.Float64);
        var grads = Enumerable.Range(0, 3).Select(_ => TorchOps.Randn([64], g, ScalarType.Float64)).ToArray();
        using var cpu = new Parameter(init.Clone());
        using var gpu = new Parameter(init.To(Gpu));
        using var cpuOpt = new AdamW([cpu], learningRate: 0.01, weightDecay: 0.1);
        using var gpuOpt = new AdamW([gpu], learningRate: 0.01, weightDecay: 0.1);
        foreach (var grad in grads)
        {
            cpu.Grad = grad;
            gpu.Grad = grad.To(Gpu);
            cpuOpt.Step();
            gpuOpt.Step();
        }

        Assert.AreEqual(Gpu, gpuOpt.GetState()["0.exp_avg"].Device);
        Assert.IsLessThan(1e-12, (gpu.Cpu() - cpu).Abs().Max().Item<double>());
    }

    [TestMethod]
    public void ModuleTo_Cuda_TrainsAndStaysOnDevice()
    {
        using var g = Generator.Create(3);
        using var layer = new Linear(8, 4, generator: g);
        layer.To(Gpu);
        Assert.AreEqual(Gpu, layer.Weight.Device);
        using var optimizer = new SGD(layer.NamedParameters(), learningRate: 0.1, momentum: 0.9);
        float first = 0, last = 0;
        using var x = TorchOps.Randn([32, 8], g).To(Gpu).DetachFromDisposeScope();
        var baseline = TensorCounters.SettledLive();
        for (var step = 0; step < 50; step++)
        {
            using var scope = new DisposeScope();
            optimizer.ZeroGrad();
            var loss = layer.Forward(x).Square().Mean();
            loss.Backward();
            optimizer.Step();
            last = loss.Item<float>();
            first = step == 0 ? last : first;
        }

        Assert.IsLessThan(first, last);
        Assert.AreEqual(baseline, TensorCounters.Live); // the momentum buffers live inside the optimizer, not as handles
        Assert.AreEqual(Gpu, optimizer.GetState()["weight.momentum_buffer"].Device);
    }

    [TestMethod]
    public void Bf16Matmul_IsCloseToFp32Reference()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(4, Gpu);
        var a = TorchOps.Randn([256, 512], g);
        var b = TorchOps.Randn([512, 384], g);
        var reference = a.Matmul(b);
        var bf16 = a.To(ScalarType.BFloat16).Matmul(b.To(ScalarType.BFloat16));
        Assert.AreEqual(ScalarType.BFloat16, bf16.DType);
        Assert.AreEqual(Gpu, bf16.Device);
        var relative = (bf16.To(ScalarType.Float32) - reference).Norm().Item<float>() / reference.Norm().Item<float>();
        Assert.IsLessThan(1e-2f, relative, $"relative Frobenius error {relative}");
        Assert.IsGreaterThan(0f, relative, "bf16 should not be bit-identical to fp32");
    }

    [TestMethod]
    public void CudaGenerator_StateReplaysStream()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(9, Gpu);
        var state = g.GetState();
        var expected = TorchOps.Rand([16], g).ToArray<float>();
        g.SetState(state);
        CollectionAssert.AreEqual(expected, TorchOps.Rand([16], g).ToArray<float>());
    }
}
