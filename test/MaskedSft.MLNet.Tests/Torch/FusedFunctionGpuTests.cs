// GPU tests of the single-function RMSNorm, SwiGLU, rotary embedding, LayerNorm and biased linear: on CUDA (through their
// fused kernels where the library has them) against the CPU's ATen path on the same inputs, values and gradients, float32 and bfloat16, aligned and odd sizes.
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
    [DataRow(ScalarType.BFloat16, 2048L, 1L, 2e-2, DisplayName = "bf16, eight register slots")]
    [DataRow(ScalarType.BFloat16, 4096L, 1L, 2e-2, DisplayName = "bf16, rows too wide for registers")]
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

    /// <summary>The fused LayerNorm kernels against ATen's layer_norm on the CPU: with weight and bias, each alone and
    /// neither; GPT-2's width; element loads; rows too wide for registers.</summary>
    [TestMethod]
    [DataRow(ScalarType.Float32, 768L, 1e-5, DisplayName = "float32, GPT-2's width")]
    [DataRow(ScalarType.Float32, 61L, 1e-5, DisplayName = "float32, element loads")]
    [DataRow(ScalarType.BFloat16, 768L, 2e-2, DisplayName = "bf16, GPT-2's width")]
    [DataRow(ScalarType.BFloat16, 1024L, 2e-2, DisplayName = "bf16, 355M's width")]
    [DataRow(ScalarType.BFloat16, 4096L, 2e-2, DisplayName = "bf16, rows too wide for registers")]
    [DataRow(ScalarType.Float32, 3000L, 1e-4, DisplayName = "float32, element loads, wide rows")]
    public void LayerNorm_OnCuda_EqualsTheCpu(ScalarType dtype, long width, double tolerance)
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([3, 700, width], Generator.Create(13)).Mul(2).Add(0.5);
        var w = TorchOps.Randn([width], Generator.Create(14));
        var b = TorchOps.Randn([width], Generator.Create(15));
        var upstream = TorchOps.Randn([3, 700, width], Generator.Create(16));
        foreach (var (useWeight, useBias) in new[] { (true, true), (true, false), (false, true), (false, false) })
        {
            double[][] Normalize(Device device)
            {
                using var inner = new DisposeScope();
                var x1 = x.To(device, dtype).Detach().WithRequiresGrad();
                var w1 = useWeight ? w.To(device, dtype).Detach().WithRequiresGrad() : null;
                var b1 = useBias ? b.To(device, dtype).Detach().WithRequiresGrad() : null;
                var y = TorchOps.LayerNorm(x1, [width], w1, b1);
                y.Backward(upstream.To(device, dtype));
                static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Reshape(-1).ToArray<double>();
                var outputs = new List<double[]> { D(y), D(x1.Grad!) };
                if (w1 is not null) outputs.Add(D(w1.Grad!));
                if (b1 is not null) outputs.Add(D(b1.Grad!));
                return outputs.ToArray();
            }

            var cpu = Normalize(Device.Cpu);
            var gpu = Normalize(Gpu);
            for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} width {width} weight {useWeight} bias {useBias} output {i}");
        }
    }

    /// <summary>A linear layer with a bias on CUDA (its bias gradient through our column-sum kernel) against the CPU: a
    /// batch of sequences, widths with and without 16-byte packs.</summary>
    [TestMethod]
    [DataRow(ScalarType.Float32, 80L, 1e-4, DisplayName = "float32")]
    [DataRow(ScalarType.BFloat16, 80L, 3e-2, DisplayName = "bf16")]
    [DataRow(ScalarType.BFloat16, 75L, 3e-2, DisplayName = "bf16, element loads")]
    public void LinearWithBias_OnCuda_EqualsTheCpu(ScalarType dtype, long outFeatures, double tolerance)
    {
        using var scope = new DisposeScope();
        var x = TorchOps.Randn([4, 300, 96], Generator.Create(17));
        var w = TorchOps.Randn([outFeatures, 96], Generator.Create(18)).Mul(0.1);
        var b = TorchOps.Randn([outFeatures], Generator.Create(19));
        var upstream = TorchOps.Randn([4, 300, outFeatures], Generator.Create(20));
        double[][] Project(Device device)
        {
            using var inner = new DisposeScope();
            var x1 = x.To(device, dtype).Detach().WithRequiresGrad();
            var w1 = w.To(device, dtype).Detach().WithRequiresGrad();
            var b1 = b.To(device, dtype).Detach().WithRequiresGrad();
            var y = TorchOps.Linear(x1, w1, b1);
            y.Backward(upstream.To(device, dtype));
            static double[] D(Tensor t) => t.To(Device.Cpu, ScalarType.Float64).Reshape(-1).ToArray<double>();
            return [D(y), D(x1.Grad!), D(w1.Grad!), D(b1.Grad!)];
        }

        var cpu = Project(Device.Cpu);
        var gpu = Project(Gpu);
        for (var i = 0; i < cpu.Length; i++) Close(cpu[i], gpu[i], tolerance, $"{dtype} out {outFeatures} output {i}");
    }

    /// <summary>The master weights' per-step casts on CUDA through the multi-tensor copy kernel: more tensors than one
    /// launch takes (64), odd and empty sizes, float32 into bf16 and bf16 gradients widened into new float32 ones; the
    /// values are the per-tensor casts of the CPU, exactly.</summary>
    [TestMethod]
    public void MultiTensorCopies_OnCuda_EqualThePerTensorCasts()
    {
        using var scope = new DisposeScope();
        var sizes = Enumerable.Range(0, 70).Select(i => (long)(i * 37 % 101) * (i % 5 == 0 ? 97 : 1)).ToArray();   // 0 included
        var masters = sizes.Select((n, i) => TorchOps.Randn([n], Generator.Create((ulong)(30 + i))).To(Gpu)).ToArray();
        var model = sizes.Select(n => TorchOps.Zeros([n], ScalarType.BFloat16, Gpu)).ToArray();
        TorchOps.CopyTensors(model, masters);
        for (var i = 0; i < sizes.Length; i++)
        {
            var expected = masters[i].To(Device.Cpu).To(ScalarType.BFloat16).To(ScalarType.Float64).ToArray<double>();
            CollectionAssert.AreEqual(expected, model[i].To(Device.Cpu, ScalarType.Float64).ToArray<double>(), $"tensor {i} ({sizes[i]} elements) rounded");
        }

        var sources = model.Select(m => m.Detach().WithRequiresGrad()).ToArray();
        var accumulators = masters.Select(m => m.Detach().WithRequiresGrad()).ToArray();
        for (var i = 0; i < sources.Length; i++) sources[i].Mul(TorchOps.Randn([sizes[i]], Generator.Create((ulong)(200 + i))).To(Gpu, ScalarType.BFloat16)).Sum().Backward();
        var gradients = sources.Select(x => x.Grad!.To(Device.Cpu, ScalarType.Float64).ToArray<double>()).ToArray();
        TorchOps.MoveGradients(sources, accumulators);
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.IsNull(sources[i].Grad, $"tensor {i}: the source gradient is dropped");
            Assert.AreEqual(ScalarType.Float32, accumulators[i].Grad!.DType);
            CollectionAssert.AreEqual(gradients[i], accumulators[i].Grad!.To(Device.Cpu, ScalarType.Float64).ToArray<double>(), $"tensor {i} widened");
        }
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
