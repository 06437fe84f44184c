// HardExamples benchmark: HardExampleTracker overhead per step at batch 256, K = 50, and memory after 1e6 samples, beside
// the Python heap-based reference tracker (reference_tracker.py) run on the same stream in the same invocation.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MaskedSft.Bench.HardExamples;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Torch;

const int batch = 256;
const int capacity = 50;
const double quantile = 0.9;
const int logInterval = 50;
const int keyPool = 200_000;
int steps = (1_000_000 + batch - 1) / batch;
string python = args.Length > 0 ? args[0] : "/usr/bin/python3";

Console.WriteLine($"HardExamples benchmark: batch {batch}, K {capacity}, quantile {quantile}, log interval {logInterval}, {steps} steps ({(long)steps * batch:N0} samples), {keyPool:N0} distinct keys");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
var stream = new BenchStream(steps, batch, keyPool, seed: 17);
var directory = Path.Combine(Path.GetTempPath(), $"maskedsft-bench-hard-{Environment.ProcessId}");
stream.Write(directory);
try
{
    bool allEqual = true;
    Console.WriteLine();
    Console.WriteLine("time per step of UpdateLosses + AddExamples (+ Snapshot every 50 steps), µs; mean = mean of the 5-95th percentiles");
    Console.WriteLine($"{"",-52} {"C# median",10} {"C# mean",10} {"Py median",10} {"Py mean",10} {"C#/Py median",13}");
    TorchOps.SetNumThreads(1); // the Python side runs torch with one thread too
    foreach (var thumbnails in new[] { ThumbnailKind.None, ThumbnailKind.Png64, ThumbnailKind.Resize128 })
    {
        Run(stream, thumbnails, measureMemory: false); // warm-up (JIT, tiered compilation)
        var cs = Run(stream, thumbnails, measureMemory: false);
        var py = RunPython(python, directory, thumbnails, memory: false);
        bool equal = SameBuffer(cs.Buffer, py.GetProperty("buffer"));
        allEqual &= equal;
        double pyMean = py.GetProperty("mean_us").GetDouble(), pyMedian = py.GetProperty("median_us").GetDouble();
        var label = thumbnails switch
        {
            ThumbnailKind.None => "tracker + text decode",
            ThumbnailKind.Png64 => "  + PNG of 64x64 images",
            _ => "  + 128x128 -> 64x64 interpolate (libtorch) + PNG",
        };
        Console.WriteLine($"{label,-52} {cs.MedianUs,10:F2} {cs.MeanUs,10:F2} {pyMedian,10:F2} {pyMean,10:F2} {cs.MedianUs / pyMedian,13:F3}");
    }

    var memory = Run(stream, ThumbnailKind.Png64, measureMemory: true);
    var pyMemory = RunPython(python, directory, ThumbnailKind.Png64, memory: true);
    Console.WriteLine();
    Console.WriteLine("memory of the tracker (with thumbnails):");
    Console.WriteLine($"  C#     after 1e5 samples: retained {memory.RetainedAt1e5 / 1024.0,8:F1} KiB, managed heap delta {memory.HeapAt1e5 / 1024.0,8:F1} KiB");
    Console.WriteLine($"  C#     after {(long)steps * batch:N0} samples: retained {memory.RetainedAtEnd / 1024.0,8:F1} KiB, managed heap delta {memory.HeapAtEnd / 1024.0,8:F1} KiB");
    Console.WriteLine($"  Python after 1e5 samples: tracemalloc {pyMemory.GetProperty("bytes_at_1e5").GetInt64() / 1024.0,8:F1} KiB");
    Console.WriteLine($"  Python after {(long)steps * batch:N0} samples: tracemalloc {pyMemory.GetProperty("bytes_at_end").GetInt64() / 1024.0,8:F1} KiB");
    Console.WriteLine($"  C#     peak retained over the run: {memory.RetainedPeak / 1024.0,8:F1} KiB (K entries + at most ExactQuantileLimit + batch floats x 2)");
    Console.WriteLine($"  C# heap ratio end/1e5: {memory.HeapAtEnd / (double)Math.Max(1, memory.HeapAt1e5):F2} (bounded: does not grow with samples seen)");
    Console.WriteLine();
    Console.WriteLine($"payloads fetched (samples that entered the buffer): {memory.Fetches:N0} of {(long)steps * batch:N0} samples");
    Console.WriteLine($"final buffers of C# and Python identical (keys and losses): {(allEqual ? "yes" : "NO")}");
    return allEqual ? 0 : 1;
}
finally
{
    Directory.Delete(directory, recursive: true);
}

static (double MeanUs, double MedianUs, List<(string Key, double Loss)> Buffer, long RetainedAt1e5, long HeapAt1e5, long RetainedAtEnd, long HeapAtEnd, long RetainedPeak, long Fetches) Run(BenchStream stream, ThumbnailKind thumbnails, bool measureMemory)
{
    long heapBefore = measureMemory ? GC.GetTotalMemory(forceFullCollection: true) : 0;
    var tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = capacity, HighLossQuantile = quantile, LogInterval = logInterval });
    var payload = new BenchBatch(stream, thumbnails);
    var keys = new string[stream.Batch];
    var times = new double[stream.Steps];
    long retained1e5 = 0, heap1e5 = 0, peak = 0;
    for (int step = 0; step < stream.Steps; step++)
    {
        var losses = stream.Losses.AsSpan(step * stream.Batch, stream.Batch);
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = stream.Keys[stream.KeyIds[(step * stream.Batch) + i]];
        }

        payload.MoveTo(step);
        long t0 = Stopwatch.GetTimestamp();
        tracker.UpdateLosses(step, losses);
        tracker.AddExamples(step, payload, losses, keys);
        if (tracker.IsLogStep(step))
        {
            tracker.Snapshot(step);
        }

        times[step] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        if (measureMemory)
        {
            peak = Math.Max(peak, tracker.RetainedBytes);
        }

        if (measureMemory && heap1e5 == 0 && (long)(step + 1) * stream.Batch >= 100_000)
        {
            retained1e5 = tracker.RetainedBytes;
            heap1e5 = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        }
    }

    long retainedEnd = tracker.RetainedBytes;
    long heapEnd = measureMemory ? GC.GetTotalMemory(forceFullCollection: true) - heapBefore : 0;
    GC.KeepAlive(tracker);
    var sorted = (double[])times.Clone();
    Array.Sort(sorted);
    return (TrimmedMean(sorted), sorted[sorted.Length / 2], tracker.Entries.Select(e => (e.Key, e.Loss)).ToList(), retained1e5, heap1e5, retainedEnd, heapEnd, peak, payload.Fetches);
}

// Mean of the 5th-95th percentile of the sorted times: robust to the scheduler hiccups of a shared machine.
static double TrimmedMean(double[] sorted) => sorted.Skip(sorted.Length / 20).Take(sorted.Length - (2 * (sorted.Length / 20))).Average();

static JsonElement RunPython(string python, string directory, ThumbnailKind thumbnails, bool memory)
{
    var script = Path.Combine(AppContext.BaseDirectory, "bench_tracker.py");
    var info = new ProcessStartInfo(python)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    foreach (var a in new[] { script, directory, capacity.ToString(CultureInfo.InvariantCulture), quantile.ToString(CultureInfo.InvariantCulture), logInterval.ToString(CultureInfo.InvariantCulture), ((int)thumbnails).ToString(CultureInfo.InvariantCulture), memory ? "1" : "0" })
    {
        info.ArgumentList.Add(a);
    }

    using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
    var output = process.StandardOutput.ReadToEnd();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{python} {script} failed with exit code {process.ExitCode}: {error}");
    }

    return JsonDocument.Parse(output).RootElement.Clone();
}

static bool SameBuffer(List<(string Key, double Loss)> cs, JsonElement py)
{
    var pyList = py.EnumerateArray().Select(e => (e[0].GetString()!, e[1].GetDouble())).ToList();
    return cs.SequenceEqual(pyList);
}
