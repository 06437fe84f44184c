// Benchmark: per-op call overhead on tiny tensors and matmul + cross-entropy forward/backward at (4096x1024)·(1024x50304)
// through the .NET bindings, beside the same work in PyTorch-Python (reference.py, started here), with ratios.
// Usage: dotnet run --project bench/TorchOps -c Release [-- --device cpu|cuda] [--tiny-iterations N] [--trials N] [--big-reps N]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.Torch;

var options = Options.Parse(args);
var device = Device.Parse(options.Device);
Console.WriteLine($"TorchOps benchmark: device {device}, libtorch {TorchOps.TorchVersion}, intra-op threads {TorchOps.GetNumThreads()}, " +
    $"{Environment.ProcessorCount} cores, big op ({options.Rows}x{options.Hidden})·({options.Hidden}x{options.Vocab}) fp32");

// PyTorch-Python first (its process exits before ours starts timing, so they do not compete for the cores).
var python = RunReference(options);
var (addUs, chainUs) = TimeTinyOps(device, options.TinyIterations, options.Trials);
var (bigMs, bigLoss) = TimeBigOp(device, options);

Console.WriteLine();
Console.WriteLine($"{"work",-58} {".NET",12} {"PyTorch",12} {"ratio",8}");
Row("add of two 4-element tensors (µs per op)", addUs, python.GetProperty("add_us").GetDouble());
Row("relu(a + b).sum() on 4 elements (µs per 3-op chain)", chainUs, python.GetProperty("chain_us").GetDouble());
Row($"matmul + cross-entropy fwd+bwd {options.Rows}x{options.Hidden}x{options.Vocab} (ms)", bigMs, python.GetProperty("big_ms").GetDouble());
Console.WriteLine($"(ratio = .NET / PyTorch, below 1.0 is faster; loss .NET {bigLoss:F5} vs PyTorch {python.GetProperty("big_loss").GetDouble():F5}; " +
    $"PyTorch {python.GetProperty("torch").GetString()} with {python.GetProperty("threads").GetInt32()} threads)");
return 0;

static void Row(string name, double ours, double theirs) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-58} {ours,12:F3} {theirs,12:F3} {ours / theirs,8:F3}"));

static (double AddUs, double ChainUs) TimeTinyOps(Device device, int iterations, int trials)
{
    using var a = TorchOps.Rand([4], device: device).DetachFromDisposeScope();
    using var b = TorchOps.Rand([4], device: device).DetachFromDisposeScope();
    for (var i = 0; i < 1000; i++)
    {
        a.Add(b).Dispose();
    }

    // The machine may be shared: each tiny measurement is the best of several trials (as in reference.py).
    var n = iterations / trials;
    var addUs = double.MaxValue;
    for (var t = 0; t < trials; t++)
    {
        TorchOps.CudaSynchronize();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            a.Add(b).Dispose();
        }

        TorchOps.CudaSynchronize();
        addUs = Math.Min(addUs, watch.Elapsed.TotalMilliseconds * 1000 / n);
    }

    // The chain runs as a training step would: every intermediate registered with a dispose scope.
    var chains = n / 4;
    var chainUs = double.MaxValue;
    for (var t = 0; t < trials; t++)
    {
        TorchOps.CudaSynchronize();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < chains; i += 100)
        {
            using var scope = new DisposeScope();
            for (var j = 0; j < 100; j++)
            {
                _ = (a + b).Relu().Sum();
            }
        }

        TorchOps.CudaSynchronize();
        chainUs = Math.Min(chainUs, watch.Elapsed.TotalMilliseconds * 1000 / (chains / 100 * 100));
    }

    return (addUs, chainUs);
}

static (double Ms, double Loss) TimeBigOp(Device device, Options options)
{
    using var g = Generator.Create(0, device);
    using var x = TorchOps.Randn([options.Rows, options.Hidden], g).DetachFromDisposeScope();
    using var w = TorchOps.Randn([options.Hidden, options.Vocab], g).MulInPlace(0.02).WithRequiresGrad().DetachFromDisposeScope();
    using var target = TorchOps.RandInt(0, options.Vocab, [options.Rows], g).DetachFromDisposeScope();
    var best = double.MaxValue;
    var loss = 0.0;
    for (var rep = 0; rep <= options.BigReps; rep++)
    {
        using var scope = new DisposeScope();
        TorchOps.CudaSynchronize();
        var watch = Stopwatch.StartNew();
        var l = TorchOps.CrossEntropy(x.Matmul(w), target);
        l.Backward();
        TorchOps.CudaSynchronize();
        if (rep > 0)
        {
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        loss = l.Item<float>();
        w.ZeroGrad();
    }

    return (best, loss);
}

static JsonElement RunReference(Options options)
{
    var python = Environment.GetEnvironmentVariable("MASKEDSFT_PYTHON") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
    var script = Path.Combine(AppContext.BaseDirectory, "reference.py");
    var start = new ProcessStartInfo(python)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var a in new[]
    {
        script, "--device", options.Device, "--tiny-iterations", options.TinyIterations.ToString(CultureInfo.InvariantCulture),
        "--big-reps", options.BigReps.ToString(CultureInfo.InvariantCulture), "--rows", options.Rows.ToString(CultureInfo.InvariantCulture),
        "--hidden", options.Hidden.ToString(CultureInfo.InvariantCulture), "--vocab", options.Vocab.ToString(CultureInfo.InvariantCulture),
        "--trials", options.Trials.ToString(CultureInfo.InvariantCulture),
    })
    {
        start.ArgumentList.Add(a);
    }

    Console.WriteLine($"running the PyTorch reference: {python} {script}");
    using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
    var stderr = process.StandardError.ReadToEndAsync();
    var stdout = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"the PyTorch reference failed ({process.ExitCode}): {stderr.Result}");
    }

    return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
}

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record Options(string Device, int TinyIterations, int BigReps, long Rows, long Hidden, long Vocab, int Trials)
{
    public static Options Parse(string[] args)
    {
        var o = new Options("cpu", 400_000, 2, 4096, 1024, 50304, 10);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--device" => o with { Device = args[i + 1] },
                "--tiny-iterations" => o with { TinyIterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--big-reps" => o with { BigReps = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--trials" => o with { Trials = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--rows" => o with { Rows = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--hidden" => o with { Hidden = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--vocab" => o with { Vocab = long.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --device, --tiny-iterations, --trials, --big-reps, --rows, --hidden, --vocab"),
            };
        }

        return o;
    }
}
