// Command line of bench/GpuTrainStep.
using System.Globalization;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch.Optim;

namespace MaskedSft.Bench.GpuTrainStep;

/// <summary>What to measure: the model shape, batch, steps and the engine's settings.</summary>
internal sealed record GpuBenchOptions
{
    /// <summary>Model name as printed (gpt2-124m, gpt2-355m or qwen2.5-0.5b).</summary>
    public string Model { get; init; } = "gpt2-124m";

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 12;

    /// <summary>Width.</summary>
    public int Width { get; init; } = 768;

    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 12;

    /// <summary>Width of the attention (heads x head size) when it differs from <see cref="Width"/> (pretrained shapes).</summary>
    public int? AttentionWidth { get; init; }

    /// <summary>A Hugging Face model folder to train instead of TinyGpt (--model qwen2.5-0.5b); its config gives the shape.</summary>
    public string? Pretrained { get; init; }

    /// <summary>Rows per step.</summary>
    public int Batch { get; init; } = 16;

    /// <summary>Tokens per row.</summary>
    public int Sequence { get; init; } = 1024;

    /// <summary>Vocabulary (GPT-2 padded to a multiple of 64).</summary>
    public int Vocab { get; init; } = 50304;

    /// <summary>Untimed steps first.</summary>
    public int Warmup { get; init; } = 5;

    /// <summary>Timed steps.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>The engine's precision.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    /// <summary>AdamW kernels.</summary>
    public AdamWImplementation AdamW { get; init; } = AdamWImplementation.Fused;

    /// <summary>Rows per chunk of the LM head + cross-entropy (null: the loss's automatic choice; 0: the whole head at once).</summary>
    public int? HeadChunkRows { get; init; }

    /// <summary>Recompute blocks in backward.</summary>
    public bool Checkpointing { get; init; }

    /// <summary>Whether every timed step reads its metrics (TrainingEngine.RunStep: one host synchronization per step,
    /// as the trainer's progress does) instead of the last one only (RunStepDeferred, as the PyTorch reference, which
    /// reads nothing per step).</summary>
    public bool ReadEveryStep { get; init; }

    /// <summary>Label of this variant in the results.</summary>
    public string Label { get; init; } = "ours";

    /// <summary>Where the JSON result line is appended (null: stdout only).</summary>
    public string? Json { get; init; }

    /// <summary>Where the Chrome trace of the timed steps is written (null: no profiling). The timed steps then run
    /// under libtorch's Kineto profiler (<see cref="MaskedSft.Torch.TorchProfiler"/>), so their tokens/s is not the bench's.</summary>
    public string? Profile { get; init; }

    /// <summary>Parses --model gpt2-124m|gpt2-355m|qwen2.5-0.5b (B4 T2048; needs --pretrained DIR), --pretrained DIR, --batch, --seq, --warmup, --steps, --precision auto|fp32|bf16-autocast|bf16|bf16-masters (default auto: the engine's CUDA default),
    /// --adamw fused|multi-tensor|per-tensor, --checkpointing, --read-every-step, --head-chunk-rows N, --label, --json FILE,
    /// --profile TRACE.json.</summary>
    public static GpuBenchOptions Parse(string[] args)
    {
        var o = new GpuBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--model" => Next() switch
                {
                    "gpt2-124m" => o with { Model = "gpt2-124m", Layers = 12, Width = 768, Heads = 12 },
                    "gpt2-355m" => o with { Model = "gpt2-355m", Layers = 24, Width = 1024, Heads = 16 },
                    "qwen2.5-0.5b" => o with { Model = "qwen2.5-0.5b", Batch = 4, Sequence = 2048 },
                    var other => throw new ArgumentException($"--model {other}: gpt2-124m, gpt2-355m or qwen2.5-0.5b"),
                },
                "--pretrained" => o with { Pretrained = Next() },
                "--batch" => o with { Batch = Int() },
                "--seq" => o with { Sequence = Int() },
                "--warmup" => o with { Warmup = Int() },
                "--steps" => o with { Steps = Int() },
                "--precision" => o with
                {
                    Precision = Next() switch
                    {
                        "auto" => TrainingPrecision.Auto,
                        "fp32" => TrainingPrecision.Float32,
                        "bf16-autocast" => TrainingPrecision.BFloat16Autocast,
                        "bf16" => TrainingPrecision.BFloat16,
                        "bf16-masters" => TrainingPrecision.BFloat16Masters,
                        var other => throw new ArgumentException($"--precision {other}"),
                    },
                },
                "--adamw" => o with
                {
                    AdamW = Next() switch
                    {
                        "fused" => AdamWImplementation.Fused,
                        "multi-tensor" => AdamWImplementation.MultiTensor,
                        "per-tensor" => AdamWImplementation.PerTensor,
                        var other => throw new ArgumentException($"--adamw {other}"),
                    },
                },
                "--checkpointing" => o with { Checkpointing = true },
                "--read-every-step" => o with { ReadEveryStep = true },
                "--head-chunk-rows" => o with { HeadChunkRows = Int() },
                "--label" => o with { Label = Next() },
                "--json" => o with { Json = Next() },
                "--profile" => o with { Profile = Next() },
                var other => throw new ArgumentException($"unknown argument {other}"),
            };
        }

        if (o.Model.StartsWith("qwen", StringComparison.Ordinal) && o.Pretrained is null)
            throw new ArgumentException($"--model {o.Model} needs --pretrained DIR (the model folder; reference.py --write-hf writes one)");
        return o;
    }
}
