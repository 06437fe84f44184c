// bench/GpuTrainStep --check: quick CUDA correctness checks of the issue-13 paths before timing them.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.Bench.GpuTrainStep;

/// <summary>Fused, multi-tensor and per-tensor AdamW steps agree on CUDA; a CUDA step (SDPA) equals the CPU step; a packed
/// row's documents get the hidden states they get alone (SDPA with the document mask); autocast and memory stats work.</summary>
internal static class CudaChecks
{
    private static readonly GptConfig Small = new() { Layers = 2, Heads = 4, EmbeddingSize = 64, BlockSize = 64, VocabSize = 128 };

    /// <summary>Runs the checks; returns the number of failures (each printed).</summary>
    public static int Run()
    {
        var failures = 0;
        TorchOps.AllowTF32 = false;
        var gpu = Device.Cuda(0);
        var batch = Batch(4, Small.BlockSize, Small.VocabSize);
        var finals = new Dictionary<string, float[]>();
        foreach (var (device, adamw) in new[] { (Device.Cpu, AdamWImplementation.PerTensor), (gpu, AdamWImplementation.PerTensor), (gpu, AdamWImplementation.MultiTensor), (gpu, AdamWImplementation.Fused) })
        {
            using var model = new TinyGpt(Small, seed: 3, device: device);
            var options = new TrainerOptions { MaxSteps = 3, WarmupSteps = 0, HardExamples = null, Precision = TrainingPrecision.Float32, AllowTF32 = false, OptimizerImplementation = adamw, LearningRate = 1e-2, MinLearningRate = 1e-2 };
            using var engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), new SftObjective(model), options, 3);
            for (var i = 0; i < 3; i++) engine.RunStep([batch]);
            using var scope = new DisposeScope();
            finals[$"{device.Type}/{adamw}->{engine.Optimizer.LastImplementation}"] = TorchOps.Cat(model.Parameters().Select(p => p.Reshape(-1)).ToList(), 0).To(Device.Cpu).ToArray<float>();
        }

        var baseline = finals.First();
        foreach (var (name, values) in finals.Skip(1))
        {
            var diff = values.Zip(baseline.Value, (a, b) => Math.Abs(a - b)).Max();
            failures += Report($"3 AdamW steps {name} vs {baseline.Key}: max |diff| {diff:E2}", diff < 2e-4);
        }

        failures += Report("fused kernel ran", finals.Keys.Any(k => k.EndsWith("->Fused", StringComparison.Ordinal)));
        failures += PackedRowsCheck(gpu);
        using (var scope = new DisposeScope())
        {
            var a = TorchOps.Ones([8, 8], device: gpu);
            ScalarType inside;
            using (new AutocastScope(gpu)) inside = a.Matmul(a).DType;
            failures += Report($"autocast on CUDA: matmul in {inside}, after it {a.Matmul(a).DType}", inside == ScalarType.BFloat16 && a.Matmul(a).DType == ScalarType.Float32);
            var stats = CudaMemory.Stats();
            failures += Report($"CUDA memory stats: allocated {stats.Allocated:N0}, peak {stats.PeakAllocated:N0}, reserved {stats.Reserved:N0}", stats.Allocated > 0 && stats.PeakAllocated >= stats.Allocated && stats.Reserved >= stats.Allocated);
        }

        Console.WriteLine(failures == 0 ? "checks: all passed" : $"checks: {failures} failed");
        return failures;
    }

    /// <summary>Two documents packed in one row (positions restarting, document ids) give the hidden states of each alone.</summary>
    private static int PackedRowsCheck(Device gpu)
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 4, device: gpu);
        model.Train(false);
        var random = new Random(5);
        long[] first = [.. Enumerable.Range(0, 20).Select(_ => (long)random.Next(Small.VocabSize))];
        long[] second = [.. Enumerable.Range(0, 12).Select(_ => (long)random.Next(Small.VocabSize))];
        using var noGrad = new NoGradScope();
        var alone1 = model.ForwardHidden(new CausalLmInput(Tensor.FromSpan<long>(first, [1, 20], gpu)));
        var alone2 = model.ForwardHidden(new CausalLmInput(Tensor.FromSpan<long>(second, [1, 12], gpu)));
        var packedIds = Tensor.FromSpan<long>([.. first, .. second], [1, 32], gpu);
        var positions = Tensor.FromSpan<long>([.. Enumerable.Range(0, 20).Select(i => (long)i), .. Enumerable.Range(0, 12).Select(i => (long)i)], [1, 32], gpu);
        var documents = Tensor.FromSpan<long>([.. Enumerable.Repeat(0L, 20), .. Enumerable.Repeat(1L, 12)], [1, 32], gpu);
        var packed = model.ForwardHidden(new CausalLmInput(packedIds) { PositionIds = positions, DocumentIds = documents });
        var together = TorchOps.Cat([alone1, alone2], 1);
        var diff = packed.Sub(together).Abs().Max().Item<float>();
        return Report($"packed row vs documents alone (SDPA + document mask, fp32): max |diff| {diff:E2}", diff < 1e-4);
    }

    private static EpisodeBatch Batch(int rows, int t, int vocab)
    {
        var batch = new EpisodeBatch(rows, t, hasLossMask: true, hasAdvantages: false);
        batch.Reset(rows);
        var random = new Random(2);
        for (var r = 0; r < rows; r++)
        {
            var x = Enumerable.Range(0, t).Select(_ => (long)random.Next(vocab)).ToArray();
            var y = Enumerable.Range(0, t).Select(_ => (long)random.Next(vocab)).ToArray();
            var mask = Enumerable.Range(0, t).Select(i => i % 3 == 0 ? 0f : 1f).ToArray();
            batch.SetRow(r, x, y, mask, [], t, episodeIndex: r);
        }

        return batch;
    }

    private static int Report(string what, bool ok)
    {
        Console.WriteLine($"  {(ok ? "PASS" : "FAIL")} {what}");
        return ok ? 0 : 1;
    }
}
