// bench/TrainerHardExamples: ms per optimizer step of Trainer.Run with hard-example tracking off vs on, beside PyTorch-Python.
using System.Globalization;
using MaskedSft.Bench.TrainerHardExamples;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Torch;

var o = BenchOptions.Parse(args);
TorchOps.SetNumThreads(o.Threads);
var inv = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(inv,
    $"TrainerHardExamples: B={o.Batch} T={o.Sequence} V={o.Vocab} threads={o.Threads} warmup={o.Warmup} steps={o.Steps} rounds={o.Rounds} " +
    $"episodes={o.Episodes} (libtorch {TorchOps.TorchVersion}, {Environment.ProcessorCount} cores, .NET {Environment.Version})"));
Console.WriteLine(string.Create(inv,
    $"tracker: K={o.Capacity}, quantile {o.Quantile}, log interval {o.LogInterval} (snapshot to hard_examples.jsonl), TokenIdDecoder text on entry, from step 1"));
Console.WriteLine("step = Trainer.Run loop body: batch, forward (masked-only head), masked CE, backward, clip 1.0, AdamW (2 groups), metrics;");
Console.WriteLine("PyTorch twin: the same loop in Python (same model code, head, loss, optimizer, metrics; numpy batches), tracker of");
Console.WriteLine("bench/HardExamples/reference_tracker.py (np.quantile over the interval, heap top-K, dedup by key, decode on entry).");
Console.WriteLine("cells: fastest step (median) over all rounds, ms; overhead = on - off of the medians.");
Console.WriteLine();

var root = Path.Combine(Path.GetTempPath(), "msft-bench-thx-" + Guid.NewGuid().ToString("N")[..12]);
var results = new List<SizeResult>();
var firstSnapshotMs = 0.0;
try
{
    var dataDirectory = Path.Combine(root, "data");
    var rawDirectory = Path.Combine(root, "raw");
    SyntheticEpisodes.Write(dataDirectory, rawDirectory, o.Episodes, o.Sequence, o.Vocab, seed: 7);
    using var dataset = EpisodeDataset.Open(dataDirectory);
    firstSnapshotMs = FirstSnapshotSerialization();
    foreach (var size in o.Sizes)
    {
        var r = SizeBench.Run(o, size, dataset, rawDirectory, root);
        results.Add(r);
        Print(r);
    }
}
finally
{
    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
        // best effort: a temp folder
    }
}

Console.WriteLine();
Console.WriteLine("summary (fastest / median); overheads from the medians, with a 95% bootstrap interval:");
Console.WriteLine($"{"model",-7} {"C# off",15} {"C# on",15} {"C# ovh ms",26} {"C# ovh %",9} {"Py off",15} {"Py on",15} {"Py ovh ms",26} {"Py ovh %",9} {"ovh C#/Py",10} {"on C#/Py",13}");
var anyNoise = false;
foreach (var r in results)
{
    double csOvh = Median(r.CsOn) - Median(r.CsOff), pyOvh = Median(r.PyOn) - Median(r.PyOff);
    var (csLo, csHi) = BootstrapOverhead(r.CsOn, r.CsOff);
    var (pyLo, pyHi) = BootstrapOverhead(r.PyOn, r.PyOff);
    var noise = (csLo <= 0 && csHi >= 0) || (pyLo <= 0 && pyHi >= 0);
    anyNoise |= noise;
    Console.WriteLine(string.Create(inv,
        $"{r.Size.Layers}x{r.Size.Width,-5} {Cell(r.CsOff),15} {Cell(r.CsOn),15} {$"{csOvh:+0.0;-0.0} [{csLo:+0.0;-0.0}, {csHi:+0.0;-0.0}]",26} {100 * csOvh / Median(r.CsOff),9:+0.00;-0.00} " +
        $"{Cell(r.PyOff),15} {Cell(r.PyOn),15} {$"{pyOvh:+0.0;-0.0} [{pyLo:+0.0;-0.0}, {pyHi:+0.0;-0.0}]",26} {100 * pyOvh / Median(r.PyOff),9:+0.00;-0.00} " +
        $"{$"{csOvh / pyOvh:F2}{(noise ? "*" : "")}",10} {$"{r.CsOn.Min() / r.PyOn.Min():F2} / {Median(r.CsOn) / Median(r.PyOn):F2}",13}"));
}

if (anyNoise) Console.WriteLine("* within noise: an overhead's 95% interval includes 0, so this ratio says nothing; use the direct ratios below.");
Console.WriteLine();
Console.WriteLine("tracking work per step measured directly, µs (median / mean; the replay's mean includes its snapshot steps):");
Console.WriteLine($"{"model",-7} {"C# in-step",17} {"Py in-step",17} {"C#/Py in-step",14} {"C# replay",17} {"Py replay",17} {"C#/Py replay",14} {"C# % of step",12} {"Py % of step",12}");
foreach (var r in results)
{
    Console.WriteLine(string.Create(inv,
        $"{r.Size.Layers}x{r.Size.Width,-5} {Us(r.CsInStepUs),17} {Us(r.PyInStepUs),17} {Ratio(r.CsInStepUs, r.PyInStepUs),14} " +
        $"{Us(r.CsReplayUs),17} {Us(r.PyReplayUs),17} {Ratio(r.CsReplayUs, r.PyReplayUs),14} " +
        $"{$"{100 * r.CsInStepUs.Average() / 1000 / Median(r.CsOn):F4}",12} {$"{100 * r.PyInStepUs.Average() / 1000 / Median(r.PyOn):F4}",12}"));
}

Console.WriteLine(string.Create(inv,
    $"once per process: the first snapshot serialization (System.Text.Json metadata of HardExamplePayload) took {firstSnapshotMs:F1} ms here, before timing."));
Console.WriteLine();
Console.WriteLine("ovh C#/Py = C# tracking overhead / Python tracking overhead from the step medians (the machine's noise when both are");
Console.WriteLine("tiny; the direct measurements above are the precise figure). on C#/Py = C# step with tracking / PyTorch step with");
Console.WriteLine("tracking (fastest / median; target <= 1.0). Tracking work = host copies of the per-row losses and counts, row");
Console.WriteLine("selection, keys, UpdateLosses + AddExamples (decode on entry), metrics section, snapshot + JSON line on log steps.");
Console.WriteLine("C# in-step: a shadow tracker doing that work through the same public API right after the trainer's own, inside the");
Console.WriteLine("tracked trainer's steps (its time is taken out of the C# on column); Py in-step: the Python twin's tracking timed in");
Console.WriteLine("its steps. Replay: the same work on the same batches and losses after the run, outside the steps (warm caches),");
Console.WriteLine("continued to --replay-steps steps (next batches, the run's losses again) for a long run's steady state: full buffer,");
Console.WriteLine("a snapshot of K entries every log interval. % of step = in-step mean / median tracked step.");
return 0;

void Print(SizeResult r)
{
    Console.WriteLine(string.Create(inv,
        $"{r.Size.Layers}x{r.Size.Width} (heads {r.Size.Heads}, {r.Parameters:N0} parameters): C# off {Cell(r.CsOff)}, C# on {Cell(r.CsOn)}, " +
        $"PyTorch off {Cell(r.PyOff)}, PyTorch on {Cell(r.PyOn)} ms"));
    Console.WriteLine(string.Create(inv,
        $"  trackers: C# buffer {r.CsTracker.Buffer}, seen {r.CsTracker.Seen}, admitted {r.CsTracker.Admitted}; " +
        $"Python buffer {r.PyTracker.Buffer}, seen {r.PyTracker.Seen}, admitted {r.PyTracker.Admitted}; shadow/replay buffer = trainer's: C# {(r.ReplayMatches ? "yes" : "NO")}, Python {(r.PyReplayMatches ? "yes" : "NO")}"));
    Console.WriteLine(string.Create(inv,
        $"  replays: {r.CsReplayUs.Count} C# / {r.PyReplayUs.Count} Python steps ({r.CsReplayUs.Count / o.LogInterval} snapshots), final buffers {r.ReplayBuffers.Cs} / {r.ReplayBuffers.Py}"));
}

// The first serialization of a snapshot in a process builds the serializer's metadata; the trainer pays it once, at its
// first log step. Measured (and thereby done) here, so that the timings below are of the steady state.
static double FirstSnapshotSerialization()
{
    var entry = new HardExampleEntry
    {
        Loss = 11.5, Step = 1, MaxLossStep = 1, ProcessIndex = 0, GlobalIndex = 3, Key = "00000000000000ff@0", Text = "[ids 1 2 3]",
    };
    var payload = new HardExamplePayload { Step = 1, ProcessIndex = 0, Entries = [entry], Threshold = 11.0, IntervalSampleCount = 8, IntervalMaxLoss = 11.5 };
    var watch = System.Diagnostics.Stopwatch.StartNew();
    var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload, HardExampleJson.Options);
    var ms = watch.Elapsed.TotalMilliseconds;
    return bytes.Length > 0 ? ms : double.NaN;
}

// 95% percentile-bootstrap interval of median(on) - median(off) (2000 resamples, fixed seed).
static (double Lo, double Hi) BootstrapOverhead(List<double> on, List<double> off)
{
    var random = new Random(12345);
    var diffs = new double[2000];
    var a = new List<double>(on.Count);
    var b = new List<double>(off.Count);
    for (var i = 0; i < diffs.Length; i++)
    {
        a.Clear();
        b.Clear();
        for (var k = 0; k < on.Count; k++) a.Add(on[random.Next(on.Count)]);
        for (var k = 0; k < off.Count; k++) b.Add(off[random.Next(off.Count)]);
        diffs[i] = Median(a) - Median(b);
    }

    Array.Sort(diffs);
    return (diffs[(int)(0.025 * diffs.Length)], diffs[(int)(0.975 * diffs.Length) - 1]);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Cell(List<double> times) => string.Create(CultureInfo.InvariantCulture, $"{times.Min():F1} ({Median(times):F1})");

static string Ratio(List<double> a, List<double> b) =>
    string.Create(CultureInfo.InvariantCulture, $"{Median(a) / Median(b):F3} / {a.Average() / b.Average():F3}");

static string Us(List<double> times) => string.Create(CultureInfo.InvariantCulture, $"{Median(times):F1} / {times.Average():F1}");
