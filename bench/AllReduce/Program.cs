// bench/AllReduce: per-step time of the bucketed gradient all-reduce (average) of a GPT-2-124M gradient set, 2 processes
// over Gloo on 127.0.0.1: our c10d bindings (ProcessGroup.AllReduce) vs torch.distributed in PyTorch-Python
// (reference.py: the same buckets, flatten, async all_reduce, wait, divide, copy back), same invocation, interleaved rounds.
// Without RANK in the environment this is the driver; it starts the ranks (itself again) and reference.py.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MaskedSft.Bench.AllReduce;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;

var options = BenchOptions.Parse(args);
if (Environment.GetEnvironmentVariable("RANK") is not null)
{
    return RunRank(options);
}

var elements = Gpt2Gradients.Shapes().Sum(s => s.Aggregate(1L, (a, b) => a * b));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"AllReduce: {options.World} processes, Gloo on 127.0.0.1, {Gpt2Gradients.Shapes().Count} GPT-2-124M gradient tensors ({elements:N0} float32, {elements * 4 / 1e6:F1} MB), " +
    $"buckets of {options.BucketMegabytes} MiB, average; {options.Threads} intra-op thread(s) per process; warmup {options.Warmup}, steps {options.Steps}, rounds {options.Rounds} " +
    $"(libtorch {TorchOps.TorchVersion}, {Environment.ProcessorCount} cores)"));
List<double> ours = [], torch = [];
for (var round = 0; round < options.Rounds; round++)
{
    ours.AddRange(Measure(options, python: false));
    torch.AddRange(Measure(options, python: true));
}

Console.WriteLine($"{"side",-28} {"fastest ms/step",16} {"median ms/step",15} {"GB/s (bus, median)",19}");
Report("MaskedSft.Torch.Distributed", ours, elements, options.World);
Report("torch.distributed (Python)", torch, elements, options.World);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"ratio (ours / PyTorch): fastest {ours.Min() / torch.Min():F2}, median {Median(ours) / Median(torch):F2} (lower is better)"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"binding cost per call (local world of one, no transport, 148 tensors): {BindingMicroseconds():F1} µs"));
return 0;

static void Report(string side, List<double> times, long elements, int world)
{
    // Bus bandwidth as nccl-tests define it for all-reduce: bytes * 2 (n - 1) / n per step.
    var bus = elements * 4.0 * 2 * (world - 1) / world / (Median(times) / 1e3) / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{side,-28} {times.Min(),16:F1} {Median(times),15:F1} {bus,19:F2}"));
}

static double Median(List<double> times) => times.Order().ElementAt(times.Count / 2);

static List<double> Measure(BenchOptions o, bool python)
{
    var port = FreePort();
    var processes = new List<Process>();
    for (var rank = 0; rank < o.World; rank++)
    {
        var info = python
            ? new ProcessStartInfo(o.Python) { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "reference.py") } }
            : new ProcessStartInfo("dotnet") { ArgumentList = { typeof(BenchOptions).Assembly.Location } };
        foreach (var a in o.Arguments())
        {
            info.ArgumentList.Add(a);
        }

        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.Environment["MASTER_ADDR"] = "127.0.0.1";
        info.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["RANK"] = info.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
        info.Environment["WORLD_SIZE"] = o.World.ToString(CultureInfo.InvariantCulture);
        info.Environment["OMP_NUM_THREADS"] = o.Threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["GLOO_SOCKET_IFNAME"] = "lo";
        processes.Add(Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}"));
    }

    var outputs = processes.Select(p => p.StandardOutput.ReadToEndAsync()).ToArray();
    foreach (var p in processes)
    {
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"a {(python ? "reference.py" : ".NET")} rank failed with exit code {p.ExitCode}");
        }
    }

    using var doc = JsonDocument.Parse(outputs[0].Result.Trim().Split('\n')[^1]);
    return [.. doc.RootElement.GetProperty("times_ms").EnumerateArray().Select(e => e.GetDouble())];
}

// What the managed API and the native entry cost per bucketed all-reduce without any transport: a local world of one
// (argument checks, handle marshalling, the operation's description for errors), median of 200 calls.
static double BindingMicroseconds()
{
    using var group = ProcessGroup.Create(new ProcessGroupOptions());
    using var scope = new DisposeScope();
    var tensors = Gpt2Gradients.Shapes().Select(s => TorchOps.Zeros(s)).ToList();
    var times = new List<double>();
    for (var i = 0; i < 220; i++)
    {
        var watch = Stopwatch.StartNew();
        group.AllReduce(tensors, ReduceOp.Average);
        if (i >= 20) times.Add(watch.Elapsed.TotalMilliseconds * 1e3);
    }

    return Median(times);
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}

static int RunRank(BenchOptions o)
{
    TorchOps.SetNumThreads(o.Threads);
    using var group = ProcessGroup.FromEnvironment(DistributedBackend.Gloo, TimeSpan.FromMinutes(5));
    using var g = Generator.Create(1000UL + (ulong)group.Rank);
    var gradients = Gpt2Gradients.Shapes().Select(s => TorchOps.Randn(s, g).DetachFromDisposeScope()).ToList();
    var bucketBytes = o.BucketMegabytes * 1024L * 1024L;
    var times = new List<double>();
    for (var i = 0; i < o.Warmup + o.Steps; i++)
    {
        group.Barrier();
        var watch = Stopwatch.StartNew();
        group.AllReduce(gradients, ReduceOp.Average, bucketBytes);
        if (i >= o.Warmup) times.Add(watch.Elapsed.TotalMilliseconds);
    }

    foreach (var t in gradients)
    {
        t.Dispose();
    }

    if (group.IsMain) Console.WriteLine(JsonSerializer.Serialize(new { times_ms = times }));
    return 0;
}

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record BenchOptions(int World, int BucketMegabytes, int Warmup, int Steps, int Rounds, int Threads, string Python)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(2, 25, 2, 8, 2, 1, "/usr/bin/python3");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--world" => o with { World = int.Parse(v, CultureInfo.InvariantCulture) },
                "--bucket-mb" => o with { BucketMegabytes = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rounds" => o with { Rounds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                "--python" => o with { Python = v },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --world --bucket-mb --warmup --steps --rounds --threads --python"),
            };
        }

        return o;
    }

    /// <summary>The options as arguments for the ranks (both sides read the same ones).</summary>
    public IEnumerable<string> Arguments() =>
    [
        "--world", $"{World}", "--bucket-mb", $"{BucketMegabytes}", "--warmup", $"{Warmup}", "--steps", $"{Steps}", "--threads", $"{Threads}",
    ];
}
