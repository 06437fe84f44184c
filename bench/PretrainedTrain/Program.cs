// bench/PretrainedTrain: tokens/s and peak CUDA memory of LoRA (r=16, all linear layers) and full fine-tuning (AdamW), and
// log-prob throughput, of a pretrained-shaped model in C# vs transformers + peft (reference.py) on the same model folder.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.Bench.PretrainedTrain;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

var o = BenchOptions.Parse(args);
var device = o.Device == "cpu" ? Device.Cpu : Device.Parse(o.Device);
var dtype = o.DType == "float32" ? ScalarType.Float32 : ScalarType.BFloat16;
var reference = new Reference(o.Python, Path.Combine(AppContext.BaseDirectory, "reference.py"));
Console.WriteLine($"PretrainedTrain: shapes {string.Join(",", o.Shapes)}, device {o.Device}, {o.DType}, B={o.Batch} T={o.Sequence}, warmup {o.Warmup}, steps {o.Steps} " +
                  $"(libtorch {TorchOps.TorchVersion}; reference: {reference.Describe()})");
Console.WriteLine("train step = zero_grad, forward, cross-entropy over every next token, backward, AdamW(1e-5); LoRA r=16 alpha=32 on every linear but the head;");
Console.WriteLine("logprobs = no-grad forward + log_softmax gather of the next tokens (ours: SequenceLogProbs.Compute). Fastest step; peak = CUDA max_memory_allocated.");
Console.WriteLine();
Console.WriteLine($"{"shape",-14} {"mode",-9} {"C# tok/s",12} {"ref tok/s",12} {"speed",7} {"C# peak MiB",12} {"ref peak MiB",13} {"memory",7}");
foreach (var shape in o.Shapes)
{
    var folder = Path.Combine(o.Work, shape);
    if (!File.Exists(Path.Combine(folder, "config.json")))
    {
        if (reference.Available) reference.WriteModel(shape, folder);
        else if (shape == "tiny") WriteTinyModel(folder); // smoke test without transformers: our writer, same format
        else throw new InvalidOperationException($"transformers is needed to write the {shape} folder ({reference.Describe()}).");
    }

    foreach (var mode in o.Modes)
    {
        var mine = Measure(folder, mode, device, dtype, o);
        var theirs = reference.Available ? reference.Measure(folder, mode, o) : null;
        Console.WriteLine(Row(shape, mode, mine, theirs));
    }
}

Console.WriteLine();
Console.WriteLine("speed = C# tokens/s / reference tokens/s (higher is better); memory = C# peak / reference peak (lower is better).");
return 0;

static Result Measure(string folder, string mode, Device device, ScalarType dtype, BenchOptions o)
{
    using var model = PretrainedCausalLm.Load(folder, new PretrainedModelOptions { Device = device, DType = dtype });
    // After the load: the CUDA context exists, and the peak starts from the weights (as the reference's does).
    if (device.Type == DeviceType.Cuda) CudaMemory.ResetPeak(device.Index);
    using var g = Generator.Create(1234);
    using var data = new DisposeScope();
    var ids = TorchOps.RandInt(0, model.Config.VocabSize, [o.Batch, o.Sequence], g).To(device);   // (B, T)
    var times = new List<double>();
    if (mode == "logprobs")
    {
        for (var i = 0; i < o.Warmup + o.Steps; i++)
        {
            TorchOps.CudaSynchronize(DeviceIndex(device));
            var watch = Stopwatch.StartNew();
            using (var scope = new DisposeScope())
            {
                _ = SequenceLogProbs.Compute(model, ids);                                       // (B, T-1)
                TorchOps.CudaSynchronize(DeviceIndex(device));
            }

            if (i >= o.Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return new Result(times, o.Batch * (o.Sequence - 1), PeakBytes(device));
    }

    using var lora = mode == "lora" ? LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.AllLinear, Rank = 16, Alpha = 32 }) : null;
    var trainable = lora?.NamedParameters() ?? model.NamedParameters();
    using var optimizer = new AdamW(trainable, 1e-5, 0.9, 0.999, 1e-8, 0.0);
    var loss = new WeightedSftLoss();
    var inputs = ids.Narrow(1, 0, o.Sequence - 1);                                                // (B, T-1)
    var targets = ids.Narrow(1, 1, o.Sequence - 1);                                               // (B, T-1)
    var mask = TorchOps.Ones([o.Batch, o.Sequence - 1], ScalarType.Float32, device);              // every next token counts
    for (var i = 0; i < o.Warmup + o.Steps; i++)
    {
        TorchOps.CudaSynchronize(DeviceIndex(device));
        var watch = Stopwatch.StartNew();
        using (var scope = new DisposeScope())
        {
            optimizer.ZeroGrad();
            var hidden = model.ForwardHidden(new CausalLmInput(inputs));                             // (B, T-1, C)
            loss.ComputeFromHidden(hidden, model.HeadWeight, targets, mask).Loss.Backward();
            optimizer.Step();
            TorchOps.CudaSynchronize(DeviceIndex(device));
        }

        if (i >= o.Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
    }

    return new Result(times, o.Batch * o.Sequence, PeakBytes(device));
}

static long? PeakBytes(Device device) => device.Type == DeviceType.Cuda ? CudaMemory.Stats(device.Index).PeakAllocated : null;

static int DeviceIndex(Device device) => device.Type == DeviceType.Cuda ? device.Index : 0;

static void WriteTinyModel(string folder)
{
    var config = PretrainedLmConfig.Parse("""
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
         "max_position_embeddings": 1024, "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
         "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
        """);
    using var model = PretrainedCausalLm.Create(config, seed: 0);
    model.Save(folder);
    Console.WriteLine($"(no transformers here: wrote the tiny folder with our own writer: {folder})");
}

static string Row(string shape, string mode, Result mine, Result? theirs)
{
    static string Mib(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) : "-";
    var speed = theirs is null ? "-" : (mine.TokensPerSecond / theirs.TokensPerSecond).ToString("F2", CultureInfo.InvariantCulture);
    var memory = mine.PeakBytes is { } m && theirs?.PeakBytes is { } t && t > 0 ? ((double)m / t).ToString("F2", CultureInfo.InvariantCulture) : "-";
    return string.Create(CultureInfo.InvariantCulture,
        $"{shape,-14} {mode,-9} {mine.TokensPerSecond,12:F0} {(theirs is null ? "-" : theirs.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture)),12} {speed,7} {Mib(mine.PeakBytes),12} {Mib(theirs?.PeakBytes),13} {memory,7}");
}
