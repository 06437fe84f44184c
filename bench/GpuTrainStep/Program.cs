// bench/GpuTrainStep: tokens/s, peak CUDA memory and MFU of GPT-2-shaped training steps through the real TrainingEngine.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.Bench.GpuTrainStep;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

if (!Device.IsCudaAvailable)
{
    Console.Error.WriteLine("GpuTrainStep needs CUDA (run it with scripts/gpu/gpu-train-step.sh on the GPU machine).");
    return 2;
}

if (args is ["--check"]) return CudaChecks.Run() == 0 ? 0 : 1;
var o = GpuBenchOptions.Parse(args);

var gpu = Device.Cuda(0);
Module module;
long mfuParameters; // N of MFU's 6 N: TinyGpt without its position embeddings; a pretrained model whole (a tied head counted once)
if (o.Pretrained is { } folder)
{
    // Weights in float32 (the default precision autocasts to bf16) or bf16 (pure bf16), as the engine's precision wants.
    var dtype = o.Precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
    var pretrained = PretrainedCausalLm.Load(folder, new PretrainedModelOptions { Device = gpu, DType = dtype });
    pretrained.GradientCheckpointing = o.Checkpointing;
    var c = pretrained.Config;
    o = o with { Layers = c.NumHiddenLayers, Width = c.HiddenSize, Heads = c.NumAttentionHeads, Vocab = c.VocabSize, AttentionWidth = c.NumAttentionHeads * c.HeadDim };
    module = pretrained;
    mfuParameters = pretrained.Parameters().Sum(p => p.NumberOfElements);
}
else
{
    var config = new GptConfig { Layers = o.Layers, EmbeddingSize = o.Width, Heads = o.Heads, BlockSize = o.Sequence, VocabSize = o.Vocab, Bias = true };
    var gpt = new TinyGpt(config, seed: 0, device: gpu) { GradientCheckpointing = o.Checkpointing };
    if (o.Precision == TrainingPrecision.BFloat16) gpt.To(gpu, ScalarType.BFloat16);
    module = gpt;
    mfuParameters = gpt.ParameterCount - ((long)o.Sequence * o.Width);
}

using var model = module;
var lm = (ICausalLm)module;
var options = new TrainerOptions
{
    MaxSteps = o.Warmup + o.Steps, LearningRate = 6e-4, MinLearningRate = 6e-4, WarmupSteps = 0, Beta1 = 0.9, Beta2 = 0.95,
    WeightDecay = 0.1, GradientClip = 1.0, HardExamples = null, Precision = o.Precision, AllowTF32 = true, OptimizerImplementation = o.AdamW,
};
using var engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), new SftObjective(lm, new WeightedSftLossOptions { HeadChunkRows = o.HeadChunkRows }), options, options.MaxSteps);
if (engine.Precision == TrainingPrecision.BFloat16Masters) module.To(gpu, ScalarType.BFloat16); // the engine took its float32 masters (it cast the trainable parameters itself)

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
if (o.Profile is not null) TorchProfiler.Start(cuda: true);
var watch = Stopwatch.StartNew();
PendingStepMetrics? pending = null;  // the timed steps read no metrics but the last one's (--read-every-step: each step's)
for (var i = 0; i < o.Steps; i++)
{
    pending?.Dispose();
    pending = engine.RunStepDeferred(window);
    if (o.ReadEveryStep) last = pending.Read();
}

TorchOps.CudaSynchronize();
var seconds = watch.Elapsed.TotalSeconds;
last = pending?.Read() ?? last;
if (o.Profile is { } tracePath) TorchProfiler.Stop(tracePath);
var readsPerStep = (TensorCounters.HostReads - reads) / (double)o.Steps;
var memory = memoryStats ? CudaMemory.Stats() : new CudaMemoryStats(-1, -1, -1);
var tokensPerSecond = (double)o.Batch * o.Sequence * o.Steps / seconds;
var parameters = model.Parameters().Sum(p => p.NumberOfElements);
var result = new Dictionary<string, object>
{
    ["side"] = o.Label, ["model"] = o.Model, ["layers"] = o.Layers, ["width"] = o.Width, ["heads"] = o.Heads, ["batch"] = o.Batch,
    ["seq"] = o.Sequence, ["vocab"] = o.Vocab, ["params"] = parameters, ["mfu_params"] = mfuParameters, ["attn_width"] = o.AttentionWidth ?? o.Width, ["steps"] = o.Steps, ["seconds"] = seconds,
    ["tokens_per_s"] = tokensPerSecond, ["peak_bytes"] = memory.PeakAllocated, ["reserved_bytes"] = memory.Reserved,
    ["precision"] = engine.Precision.ToString(), ["adamw"] = engine.Optimizer.LastImplementation?.ToString() ?? "?",
    ["checkpointing"] = o.Checkpointing, ["read_every_step"] = o.ReadEveryStep, ["head_chunk_rows"] = o.HeadChunkRows?.ToString(CultureInfo.InvariantCulture) ?? "auto",
    ["fused_ce_kernel"] = TorchOps.HasFusedCrossEntropyKernel, ["host_reads_per_step"] = readsPerStep, ["final_loss"] = last!.Loss,
    ["profiled"] = o.Profile is not null,
};
var json = JsonSerializer.Serialize(result);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{o.Label,-24} {o.Model} B{o.Batch} T{o.Sequence}: {tokensPerSecond,10:N0} tok/s, peak {memory.PeakAllocated / 1073741824.0:F2} GiB, {engine.Precision}, AdamW {engine.Optimizer.LastImplementation}, {readsPerStep:F1} host reads/step, loss {last.Loss:F4}{(o.Profile is null ? "" : $" (profiled: {o.Profile})")}"));
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
