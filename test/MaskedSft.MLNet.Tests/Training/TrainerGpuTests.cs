// GPU tests of the trainer (TestCategory "GPU"): a CUDA run against the CPU run, and checkpoint resume on CUDA with dropout
// and hard examples. Skipped without CUDA; run with scripts/gpu/run-gpu-tests.sh.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Torch;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class TrainerGpuTests : TrainingTestClass<TrainerGpuTests>
{
    private static readonly Device Gpu = Device.Cuda(0);
    private static TrainerOptions Options(int steps, Device device) => new()
    {
        MaxSteps = steps, BatchSize = 4, GradientAccumulationSteps = 2, WarmupSteps = 1, LearningRate = 3e-3,
        LogInterval = 1, EvalInterval = 0, EvalBatches = 2, CheckpointInterval = 0, Seed = 5, Device = device,
        HardExamples = new HardExampleTrackerOptions { Capacity = 6, LogInterval = 2, HighLossQuantile = 0.5 },
        HardExampleDecoder = Fixture.Corpus,
        Precision = TrainingPrecision.Float32, // CUDA against CPU to 1e-4: no bf16 autocast, no TF32
        AllowTF32 = false,
    };

    [TestMethod]
    public void Run_OnCudaWithTheDefaultBf16MastersAndWithAutocast_TrackTheFloat32Run()
    {
        IReadOnlyList<StepMetrics> fp32;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(4, Gpu)))
        {
            fp32 = trainer.Run().Metrics;
        }

        foreach (var (precision, modelType) in new[] { (TrainingPrecision.Auto, ScalarType.BFloat16), (TrainingPrecision.BFloat16Autocast, ScalarType.Float32) })
        {
            IReadOnlyList<StepMetrics> mixed;
            using (var model = new TinyGpt(Fixture.Config(), seed: 1))
            using (var trainer = new Trainer(model, Fixture.Dataset, Options(4, Gpu) with { Precision = precision, AllowTF32 = true }))
            {
                var result = trainer.Run();
                mixed = result.Metrics;
                Assert.AreEqual(modelType, model.DType, $"{precision}: Auto trains a bf16 model over float32 masters; autocast keeps the float32 model");
            }

            for (var i = 0; i < fp32.Count; i++)
                Assert.AreEqual(fp32[i].Loss, mixed[i].Loss, 2e-2 * fp32[i].Loss, $"{precision}: loss of step {fp32[i].Step}");
        }
    }

    [TestMethod]
    public void Run_OnCuda_TracksTheCpuRun()
    {
        IReadOnlyList<StepMetrics> cpu, gpu;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(4, Device.Cpu)))
        {
            cpu = trainer.Run().Metrics;
        }

        HardExamplePayload? hard;
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(4, Gpu)))
        {
            Assert.AreEqual(Gpu, model.Device);
            var result = trainer.Run();
            gpu = result.Metrics;
            hard = result.HardExamples;
        }

        Assert.AreEqual(4, gpu.Count);
        for (var i = 0; i < cpu.Count; i++)
        {
            Assert.AreEqual(cpu[i].Loss, gpu[i].Loss, 1e-4 * cpu[i].Loss, $"loss of step {cpu[i].Step}");
            Assert.AreEqual(cpu[i].GradNorm, gpu[i].GradNorm, 1e-3 * cpu[i].GradNorm, $"grad norm of step {cpu[i].Step}");
            Assert.AreEqual(cpu[i].SupervisedTokens, gpu[i].SupervisedTokens);
            Assert.AreEqual(cpu[i].MaxPerSampleLoss, gpu[i].MaxPerSampleLoss, 1e-3 * cpu[i].MaxPerSampleLoss, $"max per-sample loss of step {cpu[i].Step}");
        }

        Assert.IsNotNull(hard);
        Assert.AreEqual(3 * 8, hard.TotalSamplesSeen, "steps 2-4 of 2 x 4 rows");
        Assert.IsTrue(hard.Entries.Count > 0 && hard.Entries.All(e => e.Text.Length > 0));
    }

    [TestMethod]
    public void Resume_OnCuda_ContinuesTheRunWithDropoutAndHardExamples()
    {
        var config = Fixture.Config(dropout: 0.1);
        var straightDir = Fixture.NewDirectory("gpu-straight");
        using (var model = new TinyGpt(config, seed: 1))
        using (var straight = new Trainer(model, Fixture.Dataset, Options(8, Gpu) with { OutputDirectory = straightDir }))
        {
            straight.Run();
        }

        var resumedDir = Fixture.NewDirectory("gpu-resumed");
        string checkpoint;
        using (var model = new TinyGpt(config, seed: 1))
        using (var first = new Trainer(model, Fixture.Dataset, Options(8, Gpu) with { OutputDirectory = resumedDir }))
        {
            first.Run(untilStep: 5);
            checkpoint = first.SaveCheckpoint();
        }

        Assert.IsNotNull(CheckpointMetadata.Read(checkpoint).CudaRngState, "the CUDA generator's state is saved");
        TorchOps.ManualSeed(4242);
        using (var model = new TinyGpt(config, seed: 99))
        using (var resumed = new Trainer(model, Fixture.Dataset, Options(8, Gpu) with { OutputDirectory = resumedDir }))
        {
            resumed.LoadCheckpoint(checkpoint);
            resumed.Run();
        }

        var expected = MetricsWriter.ReadAll(Path.Combine(straightDir, "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl"));
        CollectionAssert.AreEqual(expected.Select(m => m.Step).ToArray(), actual.Select(m => m.Step).ToArray());
        for (var i = 0; i < expected.Count; i++)
        {
            // CUDA's index_add backward sums in a nondeterministic order: equal up to float rounding, not bit for bit.
            Assert.AreEqual(expected[i].Loss, actual[i].Loss, 1e-5 * expected[i].Loss, $"loss of step {expected[i].Step}");
            Assert.AreEqual(expected[i].HardExamples!.SamplesSeen, actual[i].HardExamples!.SamplesSeen, $"samples seen at step {expected[i].Step}");
            Assert.AreEqual(expected[i].HardExamples!.BufferSize, actual[i].HardExamples!.BufferSize, $"buffer size at step {expected[i].Step}");
        }

        var straightKeys = HardExampleJson.DeserializePayload(File.ReadAllLines(Path.Combine(straightDir, "hard_examples.jsonl"))[^1]).Entries.Select(e => e.Key).ToArray();
        var resumedKeys = HardExampleJson.DeserializePayload(File.ReadAllLines(Path.Combine(resumedDir, "hard_examples.jsonl"))[^1]).Entries.Select(e => e.Key).ToArray();
        CollectionAssert.AreEqual(straightKeys, resumedKeys, "the final buffers hold the same samples");
    }
}
