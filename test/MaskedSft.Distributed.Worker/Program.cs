// Child program of the distributed tests: joins the group from torchrun's environment and runs one scenario.
//   collectives --out DIR      every collective on the inputs of CollectiveInputs; writes DIR/rank{R}.json
//   fail --victim R --mode kill|hang --timeout-seconds S
//                              after a barrier and a pause (so the others are past the barrier), rank R kills
//                              itself (SIGKILL) or hangs; the others run all-reduces that must fail: they print the
//                              DistributedException and exit 3
//   echo [--exit-code C --failing-rank R --others-sleep S --ready-dir D]  (with D, each rank marks D/rank-N after its
//        hello and the failing rank fails only once every rank has: no race between a fast failure and a slow start)
//                              prints a line to stdout and to stderr; rank R (every rank when -1) exits with C, the
//                              others sleep S seconds and exit 0 (launch tests)
using System.Globalization;
using System.Text.Json;
using MaskedSft.Distributed.Worker;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int Int(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var scenario = args.Length > 0 ? args[0] : string.Empty;
switch (scenario)
{
    case "echo":
        Console.WriteLine($"hello from rank {Environment.GetEnvironmentVariable("RANK")} of {Environment.GetEnvironmentVariable("WORLD_SIZE")}");
        Console.Error.WriteLine($"note from rank {Environment.GetEnvironmentVariable("RANK")}");
        var failing = Int("--failing-rank", -1);
        var rank = int.Parse(Environment.GetEnvironmentVariable("RANK") ?? "0", CultureInfo.InvariantCulture);
        var readyDir = Arg("--ready-dir", string.Empty);
        if (readyDir.Length > 0)
        {
            Console.Out.Flush();
            File.WriteAllText(Path.Combine(readyDir, $"rank-{rank}"), string.Empty);
            var world = int.Parse(Environment.GetEnvironmentVariable("WORLD_SIZE") ?? "1", CultureInfo.InvariantCulture);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (rank == failing && Directory.GetFiles(readyDir, "rank-*").Length < world && waited.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
        }

        if (failing >= 0 && failing != rank)
        {
            Thread.Sleep(TimeSpan.FromSeconds(Int("--others-sleep", 0)));
            return 0;
        }

        return Int("--exit-code", 0);
    case "collectives":
        return Collectives(Arg("--out", "."));
    case "fail":
        return Fail(Int("--victim", 1), Arg("--mode", "kill"), Int("--timeout-seconds", 10));
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; expected collectives, fail or echo");
        return 2;
}

static int Collectives(string outDir)
{
    using var group = ProcessGroup.FromEnvironment(DistributedBackend.Gloo, TimeSpan.FromSeconds(60));
    var r = group.Rank;
    using var scope = new DisposeScope();

    var sum = CollectiveInputs.Dense(r);
    group.AllReduce(sum, ReduceOp.Sum);
    var average = CollectiveInputs.Dense(r);
    group.AllReduce(average, ReduceOp.Average);
    var max = CollectiveInputs.Dense(r);
    group.AllReduce(max, ReduceOp.Max);
    var longs = CollectiveInputs.Longs(r);
    group.AllReduce(longs, ReduceOp.Min);
    var bucketed = CollectiveInputs.BucketList(r);
    group.AllReduce(bucketed, ReduceOp.Sum, CollectiveInputs.SmallBucketBytes);
    var broadcast = CollectiveInputs.BroadcastSource(r);
    group.Broadcast(broadcast, root: group.WorldSize - 1);
    var gathered = group.AllGather(CollectiveInputs.GatherSource(r));
    var payloads = group.AllGatherBytes(CollectiveInputs.Payload(r));
    group.Barrier();

    var result = new Dictionary<string, object>
    {
        ["rank"] = r,
        ["world"] = group.WorldSize,
        ["sum"] = sum.ToArray<float>(),
        ["average"] = average.ToArray<float>(),
        ["max"] = max.ToArray<float>(),
        ["min_longs"] = longs.ToArray<long>(),
        ["bucketed"] = bucketed.Select(t => t.Contiguous().ToArray<float>()).ToArray(),
        ["bucketed_transposed_is_view"] = bucketed[1].Shape.SequenceEqual([5L, 4L]),
        ["broadcast"] = broadcast.ToArray<float>(),
        ["gathered"] = gathered.Select(t => t.ToArray<float>()).ToArray(),
        ["payloads"] = payloads.Select(Convert.ToBase64String).ToArray(),
    };
    Directory.CreateDirectory(outDir);
    File.WriteAllText(Path.Combine(outDir, $"rank{r}.json"), JsonSerializer.Serialize(result));
    Console.WriteLine($"rank {r}: collectives done");
    return 0;
}

static int Fail(int victim, string mode, int timeoutSeconds)
{
    using var group = ProcessGroup.FromEnvironment(DistributedBackend.Gloo, TimeSpan.FromSeconds(timeoutSeconds));
    group.Barrier();
    if (group.Rank == victim)
    {
        // A rank that leaves the barrier first could die while a peer is still reading the barrier's last message.
        Thread.Sleep(TimeSpan.FromSeconds(1));
        Console.WriteLine($"rank {victim}: {(mode == "kill" ? "killing myself" : "hanging")}");
        if (mode == "kill")
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }

        Thread.Sleep(TimeSpan.FromSeconds(timeoutSeconds * 6));
        return 0;
    }

    using var scope = new DisposeScope();
    var t = TorchOps.Ones([1000]);
    try
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(timeoutSeconds * 2))
        {
            group.AllReduce(t);
        }
    }
    catch (DistributedException e)
    {
        Console.Error.WriteLine($"DistributedException: {e.Message}");
        Console.Error.WriteLine($"timed_out={e.TimedOut} elapsed_s={e.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}");
        return 3;
    }

    Console.Error.WriteLine("the all-reduce succeeded although a rank was gone");
    return 4;
}
