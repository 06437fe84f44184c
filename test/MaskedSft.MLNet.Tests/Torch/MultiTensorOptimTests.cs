// Issue 13: multi-tensor / fused AdamW and on-device clipping give today's numbers and PyTorch's; host reads are counted.
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class MultiTensorOptimTests
{
    [TestMethod]
    [DataRow(AdamWImplementation.PerTensor)]
    [DataRow(AdamWImplementation.MultiTensor)]
    [DataRow(AdamWImplementation.Fused)]
    public void ClippedAdamW_EveryImplementation_MatchesTorchOptimAdamW(AdamWImplementation implementation)
    {
        var reference = ReferenceFixture.Cases["clip_adamw_groups_5_steps"];
        using var scope = new DisposeScope();
        var inputs = reference.Inputs.ToDictionary(p => p.Key, p => p.Value.ToTensor(), StringComparer.Ordinal);
        var outputs = TorchParityTests.ClippedAdamWSteps(key => inputs[key], implementation);
        for (var k = 0; k < outputs.Length; k++)
        {
            var want = reference.Outputs[k].Values();
            var got = outputs[k].To(ScalarType.Float64).ToArray<double>();
            Assert.HasCount(want.Length, got);
            for (var j = 0; j < want.Length; j++)
                Assert.AreEqual(want[j], got[j], 1e-6 * Math.Max(1.0, Math.Abs(want[j])), $"{implementation} output {k} element {j}");
        }
    }

    [TestMethod]
    [DataRow(AdamWImplementation.MultiTensor)]
    [DataRow(AdamWImplementation.Fused)]
    public void MultiTensorStep_ManyShapesTwoGroups_EqualsPerTensorStepAndState(AdamWImplementation implementation)
    {
        using var scope = new DisposeScope();
        long[][] shapes = [[16, 8], [8], [3, 4, 5], [1], [32, 32]];
        var straight = Parameters(shapes, seed: 1);
        var multi = Parameters(shapes, seed: 1);
        using var a = Make(straight, AdamWImplementation.PerTensor);
        using var b = Make(multi, implementation);
        using var generator = Generator.Create(7);
        for (var step = 0; step < 6; step++)
        {
            for (var i = 0; i < shapes.Length; i++)
            {
                var g = TorchOps.Randn(shapes[i], generator);
                straight[i].Grad = g.Clone();
                multi[i].Grad = step == 3 && i == 1 ? null : g.Clone(); // a parameter without a gradient is skipped
                if (step == 3 && i == 1) straight[i].Grad = null;
            }

            a.Step();
            b.Step();
        }

        Assert.AreEqual(AdamWImplementation.MultiTensor, b.LastImplementation); // the CPU has no fused kernel
        for (var i = 0; i < shapes.Length; i++)
            CollectionAssert.AreEqual(straight[i].ToArray<float>(), multi[i].ToArray<float>(), $"parameter {i}");
        var sa = a.GetState();
        var sb = b.GetState();
        CollectionAssert.AreEquivalent(sa.Keys.ToList(), sb.Keys.ToList());
        foreach (var (key, value) in sa)
        {
            if (value.DType == ScalarType.Int64) Assert.AreEqual(value.Item<long>(), sb[key].Item<long>(), key);
            else CollectionAssert.AreEqual(value.ToArray<float>(), sb[key].ToArray<float>(), key);
        }

        foreach (var p in straight.Concat(multi)) p.Dispose();
    }

    [TestMethod]
    public void MultiTensorStep_AfterLoadState_ContinuesThePerTensorRun()
    {
        using var scope = new DisposeScope();
        long[][] shapes = [[4, 3], [3]];
        var straight = Parameters(shapes, seed: 2);
        var resumed = Parameters(shapes, seed: 2);
        using var a = Make(straight, AdamWImplementation.PerTensor);
        using var b = Make(resumed, AdamWImplementation.PerTensor);
        for (var step = 0; step < 4; step++)
        {
            if (step == 2)
            {
                b.Implementation = AdamWImplementation.MultiTensor; // switch kernels mid-run: same state, same numbers
                var state = b.GetState();
                b.LoadState(state);
            }

            for (var i = 0; i < shapes.Length; i++)
            {
                straight[i].Grad = TorchOps.Full(shapes[i], 0.1 * (step + 1) * (i + 1));
                resumed[i].Grad = TorchOps.Full(shapes[i], 0.1 * (step + 1) * (i + 1));
            }

            a.Step();
            b.Step();
        }

        for (var i = 0; i < shapes.Length; i++) CollectionAssert.AreEqual(straight[i].ToArray<float>(), resumed[i].ToArray<float>());
        foreach (var p in straight.Concat(resumed)) p.Dispose();
    }

    [TestMethod]
    public void ClipGradNormOnDevice_EqualsHostClipping_WithoutHostReads()
    {
        using var scope = new DisposeScope();
        long[][] shapes = [[5, 4], [7], [2, 2, 2]];
        var host = Parameters(shapes, seed: 3);
        var device = Parameters(shapes, seed: 3);
        using var generator = Generator.Create(9);
        for (var i = 0; i < shapes.Length; i++)
        {
            var g = TorchOps.Randn(shapes[i], generator).Mul(3.0);
            host[i].Grad = g.Clone();
            device[i].Grad = g.Clone();
        }

        var expected = TorchOps.ClipGradNorm(host, 1.0);
        var reads = TensorCounters.HostReads;
        var norm = TorchOps.ClipGradNormOnDevice(device, 1.0);                         // ()
        var total = TorchOps.TotalNorm(device.Select(p => p.Grad!).ToList());           // () of the clipped gradients
        Assert.AreEqual(reads, TensorCounters.HostReads, "on-device clipping and norms read nothing back");
        Assert.AreEqual(expected, norm.Item<float>(), 1e-5 * expected);
        Assert.AreEqual(1.0, total.Item<float>(), 1e-5);
        for (var i = 0; i < shapes.Length; i++)
            CollectionAssert.AreEqual(host[i].Grad!.ToArray<float>(), device[i].Grad!.ToArray<float>(), $"gradient {i}");
        var unclipped = TorchOps.ClipGradNormOnDevice(device, double.PositiveInfinity);
        Assert.AreEqual(1.0, unclipped.Item<float>(), 1e-5, "an infinite bound only measures");
        foreach (var p in host.Concat(device)) p.Dispose();
    }

    [TestMethod]
    public void HostReads_CountItemArrayCopyAndDeviceToCpu()
    {
        using var scope = new DisposeScope();
        var t = TorchOps.Ones([3]);
        var before = TensorCounters.HostReads;
        _ = t.Sum().Item<float>();
        _ = t.ToArray<float>();
        t.CopyTo<float>(new float[3]);
        _ = t.To(Device.Cpu);                                                            // CPU to CPU: no read
        _ = t.Add(t).Mul(2.0);                                                           // device math: no read
        Assert.AreEqual(before + 3, TensorCounters.HostReads);
        using var p = new Parameter(TorchOps.Ones([2])) { Grad = TorchOps.Ones([2]) };
        _ = TorchOps.ClipGradNorm([p], 1.0);
        Assert.AreEqual(before + 4, TensorCounters.HostReads, "the host clipping reads its norm");
    }

    [TestMethod]
    public void AutocastScope_OnCpu_RunsMatmulInBFloat16AndRestores()
    {
        using var scope = new DisposeScope();
        var a = TorchOps.Ones([2, 3]);
        var b = TorchOps.Ones([3, 2]);
        Assert.IsFalse(AutocastScope.IsEnabled(Device.Cpu));
        using (new AutocastScope(Device.Cpu, ScalarType.BFloat16))
        {
            Assert.IsTrue(AutocastScope.IsEnabled(Device.Cpu));
            Assert.AreEqual(ScalarType.BFloat16, a.Matmul(b).DType);
            using (new AutocastScope(Device.Cpu))
            {
                Assert.IsTrue(AutocastScope.IsEnabled(Device.Cpu));
            }

            Assert.IsTrue(AutocastScope.IsEnabled(Device.Cpu), "an inner scope restores the outer state");
        }

        Assert.IsFalse(AutocastScope.IsEnabled(Device.Cpu));
        Assert.AreEqual(ScalarType.Float32, a.Matmul(b).DType);
    }

    [TestMethod]
    public void AllowTF32_SetAndRead()
    {
        var was = TorchOps.AllowTF32;
        try
        {
            TorchOps.AllowTF32 = true;
            Assert.IsTrue(TorchOps.AllowTF32);
            TorchOps.AllowTF32 = false;
            Assert.IsFalse(TorchOps.AllowTF32);
        }
        finally
        {
            TorchOps.AllowTF32 = was;
        }
    }

    private static List<Parameter> Parameters(long[][] shapes, ulong seed)
    {
        using var generator = Generator.Create(seed);
        using var scope = new DisposeScope();
        return shapes.Select(s => new Parameter(TorchOps.Randn(s, generator))).ToList();
    }

    private static AdamW Make(List<Parameter> ps, AdamWImplementation implementation)
    {
        var matrices = ps.Select((p, i) => (Name: $"p{i}", P: p)).Where(x => x.P.Dim >= 2).ToList();
        var vectors = ps.Select((p, i) => (Name: $"p{i}", P: p)).Where(x => x.P.Dim < 2).ToList();
        var adamw = new AdamW(matrices.Select(x => (x.Name, x.P)), learningRate: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1) { Implementation = implementation };
        adamw.AddParameterGroup(vectors.Select(x => (x.Name, x.P)), weightDecay: 0.0);
        return adamw;
    }
}
