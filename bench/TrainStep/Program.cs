// bench/TrainStep: training-step time of the tiny GPT in C# (our libtorch shim) vs PyTorch-Python on the same libtorch.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

var options = BenchOptions.Parse(args);
TorchOps.SetNumThreads(options.Threads);
Console.WriteLine($"TrainStep: B={options.Batch} T={options.Sequence} V={options.Vocab} threads={options.Threads} warmup={options.Warmup} steps={options.Steps} " +
                  $"(libtorch {TorchOps.TorchVersion}, {Environment.ProcessorCount} cores)");
Console.WriteLine("one step = zero_grad, forward, masked cross-entropy (50% of targets), backward, clip_grad_norm(1.0), AdamW(3e-4, 0.9/0.95, wd 0.1)");
Console.WriteLine();
Console.WriteLine($"{options.Rounds} round(s) of [C# masked-only head, C# full logits, PyTorch] per size, interleaved so machine-load drift hits all three;");
Console.WriteLine("each cell: the fastest step over all rounds (median in parentheses); ratios use the fastest steps.");
Console.WriteLine();
Console.WriteLine($"{"model",-8} {"params",11} {"C# masked-only head ms",26} {"C# full logits ms",22} {"PyTorch ms",22} {"ratio",6} {"ratio full",11}");
foreach (var (layers, width, heads) in options.Sizes)
{
    var config = new GptConfig { Layers = layers, EmbeddingSize = width, Heads = heads, BlockSize = options.Sequence, VocabSize = options.Vocab };
    List<double> gathered = [], full = [], python = [];
    for (var round = 0; round < options.Rounds; round++)
    {
        gathered.AddRange(Measure(config, options, fullLogits: false));
        full.AddRange(Measure(config, options, fullLogits: true));
        python.AddRange(RunPython(options, layers, width, heads));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{layers}x{width,-6} {config.ParameterCount,11:N0} {Cell(gathered),26} {Cell(full),22} {Cell(python),22} {gathered.Min() / python.Min(),6:F2} {full.Min() / python.Min(),11:F2}"));
}

Console.WriteLine();
Console.WriteLine("ratio = fastest C# step / fastest PyTorch-Python step (lower is better; target <= 0.8).");
Console.WriteLine("masked-only head: WeightedSftLoss.ComputeFromHidden projects only supervised positions onto the vocabulary (same loss and gradients);");
Console.WriteLine("full logits: Forward(x) -> (B, T, V) then MaskedCrossEntropy, the same computation as the PyTorch reference.");
return 0;

static string Cell(List<double> times)
{
    var sorted = times.Order().ToList();
    return string.Create(CultureInfo.InvariantCulture, $"{sorted[0]:F1} ({sorted[sorted.Count / 2]:F1})");
}

static List<double> Measure(GptConfig config, BenchOptions o, bool fullLogits)
{
    using var model = new TinyGpt(config, seed: 0);
    using var optimizer = new AdamW(model.NamedParameters(), 3e-4, 0.9, 0.95, 1e-8, 0.1);
    var headLoss = new WeightedSftLoss();
    using var g = Generator.Create(1);
    using var data = new DisposeScope();
    var x = TorchOps.RandInt(0, o.Vocab, [o.Batch, o.Sequence], g);
    var y = TorchOps.RandInt(0, o.Vocab, [o.Batch, o.Sequence], g);
    var mask = TorchOps.Rand([o.Batch, o.Sequence], g).Lt(0.5).To(ScalarType.Float32);
    var times = new List<double>();
    for (var i = 0; i < o.Warmup + o.Steps; i++)
    {
        var watch = Stopwatch.StartNew();
        using (var scope = new DisposeScope())
        {
            optimizer.ZeroGrad();
            var loss = fullLogits
                ? MaskedCrossEntropy.Compute(model.Forward(x), y, mask)
                : headLoss.ComputeFromHidden(model.ForwardHidden(new CausalLmInput(x)), model.HeadWeight, y, mask).Loss;
            loss.Backward();
            TorchOps.ClipGradNorm(model.Parameters(), 1.0);
            optimizer.Step();
        }

        if (i >= o.Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
    }

    return times;
}

static List<double> RunPython(BenchOptions o, int layers, int width, int heads)
{
    var script = Path.Combine(AppContext.BaseDirectory, "reference.py");
    var repoScript = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "reference.py"));
    if (File.Exists(repoScript)) script = repoScript; // run beside scripts/reference (imports model_reference.py)
    var info = new ProcessStartInfo(o.Python)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var a in new object[] { script, layers, width, heads, o.Vocab, o.Batch, o.Sequence, o.Warmup, o.Steps, o.Threads })
    {
        info.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
    }

    using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {o.Python}");
    var stdout = process.StandardOutput.ReadToEnd();
    var stderr = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"reference.py failed ({process.ExitCode}): {stderr}");
    using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
    return doc.RootElement.GetProperty("times_ms").EnumerateArray().Select(e => e.GetDouble()).ToList();
}

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record BenchOptions(List<(int Layers, int Width, int Heads)> Sizes, int Vocab, int Batch, int Sequence, int Warmup, int Steps, int Threads, string Python, int Rounds)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([(2, 64, 4), (3, 128, 4), (6, 384, 6)], 50304, 8, 256, 1, 3, Environment.ProcessorCount, "/usr/bin/python3", 2);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--sizes" => o with { Sizes = v.Split(',').Select(ParseSize).ToList() },
                "--vocab" => o with { Vocab = int.Parse(v, CultureInfo.InvariantCulture) },
                "--batch" => o with { Batch = int.Parse(v, CultureInfo.InvariantCulture) },
                "--seq" => o with { Sequence = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                "--python" => o with { Python = v },
                "--rounds" => o with { Rounds = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --sizes 2x64,3x128,6x384 --vocab --batch --seq --warmup --steps --threads --rounds --python"),
            };
        }

        return o;
    }

    private static (int, int, int) ParseSize(string s)
    {
        var parts = s.Split('x');
        int layers = int.Parse(parts[0], CultureInfo.InvariantCulture), width = int.Parse(parts[1], CultureInfo.InvariantCulture);
        return (layers, width, width % 6 == 0 && width >= 384 ? 6 : 4);
    }
}
