// Command-line options of bench/PretrainedTrain.
using System.Globalization;

namespace MaskedSft.Bench.PretrainedTrain;

/// <summary>--shape qwen2.5-0.5b,llama-3.2-1b (or tiny), --modes lora,full,logprobs, --device, --dtype, --batch, --seq,
/// --warmup, --steps, --python, --work (where the model folders are written).</summary>
internal sealed record BenchOptions(string[] Shapes, string[] Modes, string Device, string DType, int Batch, int Sequence, int Warmup, int Steps, string Python, string Work)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(["qwen2.5-0.5b", "llama-3.2-1b"], ["lora", "full", "logprobs"], "cuda", "bfloat16", 1, 2048, 2, 5,
            Environment.GetEnvironmentVariable("MASKEDSFT_PYTHON") ?? "python3", Path.Combine(Path.GetTempPath(), "msft-bench-pretrained"));
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]} needs a value");
            var v = args[i + 1];
            o = args[i] switch
            {
                "--shape" => o with { Shapes = v.Split(',') },
                "--modes" => o with { Modes = v.Split(',') },
                "--device" => o with { Device = v },
                "--dtype" => o with { DType = v },
                "--batch" => o with { Batch = int.Parse(v, CultureInfo.InvariantCulture) },
                "--seq" => o with { Sequence = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--python" => o with { Python = v },
                "--work" => o with { Work = v },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }
}
