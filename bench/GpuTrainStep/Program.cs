// bench/GpuTrainStep: tokens/s, peak CUDA memory and MFU of GPT-2-shaped training steps through the real TrainingEngine.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.Bench.GpuTrainStep;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

if (!Device.IsCudaAvailable)
{
    Console.Error.WriteLine("GpuTrainStep needs CUDA (run it with scripts/gpu/gpu-train-step.sh on the GPU machine).");
    return 2;
}

if (args is ["--check"]) return CudaChecks.Run() == 0 ? 0 : 1;
var o = GpuBenchOptions.Parse(args);

var gpu = Device.Cuda(0);
var config = new GptConfig { Layers = o.Layers, EmbeddingSize = o.Width, Heads = o.Heads, BlockSize = o.Sequence, VocabSize = o.Vocab, Bias = true };
using var model = new TinyGpt(config, seed: 0, device: gpu) { GradientCheckpointing = o.Checkpointing };
if (o.Precision == TrainingPrecision.BFloat16) model.To(gpu, ScalarType.BFloat16);
var options = new TrainerOptions
{
    MaxSteps = o.Warmup + o.Steps, LearningRate = 6e-4, MinLearningRate = 6e-4, WarmupSteps = 0, Beta1 = 0.9, Beta2 = 0.95,
    WeightDecay = 0.1, GradientClip = 1.0, HardExamples = null, Precision = o.Precision, AllowTF32 = true, OptimizerImplementation = o.AdamW,
};
using var engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), new SftObjective(model, new WeightedSftLossOptions { HeadChunkRows = o.HeadChunkRows }), options, options.MaxSteps);
if (engine.Precision == TrainingPrecision.BFloat16Masters) model.To(gpu, ScalarType.BFloat16); // the engine took its float32 masters (it cast the trainable parameters itself)

// One batch of random tokens, every target supervised (the PyTorch reference's full cross-entropy does the same work).
var batch = new EpisodeBatch(o.Batch, o.Sequence, hasLossMask: true, hasAdvantages: false);
batch.Reset(o.Batch);
var random = new Random(1);
var ones = Enumerable.Repeat(1f, o.Sequence).ToArray();
for (var r = 0; r < o.Batch; r++)
{
    var x = Enumerable.Range(0, o.Sequence).Select(_ => (long)random.Next(o.Vocab)).ToArray();
    var y = Enumerable.Range(0, o.Sequence).Select(_ => (long)random.Next(o.Vocab)).ToArray();
    batch.SetRow(r, x, y, ones, [], o.Sequence, episodeIndex: r);
}

EpisodeBatch[] window = [batch];
StepMetrics? last = null;
for (var i = 0; i < o.Warmup; i++) last = engine.RunStep(window);
TorchOps.CudaSynchronize();
var memoryStats = TryMemory(() => CudaMemory.ResetPeak());
var reads = TensorCounters.HostReads;
var watch = Stopwatch.StartNew();
for (var i = 0; i < o.Steps; i++) last = engine.RunStep(window);
TorchOps.CudaSynchronize();
var seconds = watch.Elapsed.TotalSeconds;
var readsPerStep = (TensorCounters.HostReads - reads) / (double)o.Steps;
var memory = memoryStats ? CudaMemory.Stats() : new CudaMemoryStats(-1, -1, -1);
var tokensPerSecond = (double)o.Batch * o.Sequence * o.Steps / seconds;
var parameters = model.ParameterCount;
var result = new Dictionary<string, object>
{
    ["side"] = o.Label, ["model"] = o.Model, ["layers"] = o.Layers, ["width"] = o.Width, ["heads"] = o.Heads, ["batch"] = o.Batch,
    ["seq"] = o.Sequence, ["vocab"] = o.Vocab, ["params"] = parameters, ["steps"] = o.Steps, ["seconds"] = seconds,
    ["tokens_per_s"] = tokensPerSecond, ["peak_bytes"] = memory.PeakAllocated, ["reserved_bytes"] = memory.Reserved,
    ["precision"] = engine.Precision.ToString(), ["adamw"] = engine.Optimizer.LastImplementation?.ToString() ?? "?",
    ["checkpointing"] = o.Checkpointing, ["head_chunk_rows"] = o.HeadChunkRows?.ToString(CultureInfo.InvariantCulture) ?? "auto",
    ["fused_ce_kernel"] = TorchOps.HasFusedCrossEntropyKernel, ["host_reads_per_step"] = readsPerStep, ["final_loss"] = last!.Loss,
};
var json = JsonSerializer.Serialize(result);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{o.Label,-24} {o.Model} B{o.Batch} T{o.Sequence}: {tokensPerSecond,10:N0} tok/s, peak {memory.PeakAllocated / 1073741824.0:F2} GiB, {engine.Precision}, AdamW {engine.Optimizer.LastImplementation}, {readsPerStep:F1} host reads/step, loss {last.Loss:F4}"));
if (o.Json is { } path) File.AppendAllText(path, json + Environment.NewLine);
return 0;

static bool TryMemory(Action action)
{
    try
    {
        action();
        return true;
    }
    catch (TorchException e)
    {
        Console.WriteLine($"CUDA memory statistics unavailable: {e.Message}");
        return false;
    }
}
