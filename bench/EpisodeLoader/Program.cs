// Benchmark: batch assembly (B=32, T=1024) from memory-mapped 10M- and 100M-token episode datasets into contiguous int64 buffers,
// beside the same work in numpy-memmap + torch (reference.py), with throughput, process memory and the ratio.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Data;

namespace MaskedSft.Bench.EpisodeLoader;

/// <summary>Entry point: orchestrates dataset builds and one measuring child process per dataset size.</summary>
internal static class Program
{
    private const int VocabSize = 50304;
    private const int PadId = 50256;
    private const ulong LoaderSeed = 1;
    private const int ChecksumBatches = 64;

    private static int Main(string[] args)
    {
        var options = Args.Parse(args);
        return options.MeasureDirectory is { } directory ? Measure(directory, options) : Orchestrate(options);
    }

    private static int Orchestrate(Args options)
    {
        var root = options.Root ?? Path.Combine(Path.GetTempPath(), $"maskedsft-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Console.WriteLine($"EpisodeLoader benchmark: B={options.BatchSize}, T={options.BlockSize}, uint16 tokens (vocab {VocabSize}), policy SplitIntoWindows");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; data in {root}");
        var rows = new List<(long Size, JsonObject CSharp, JsonObject? Python)>();
        try
        {
            foreach (var size in options.Sizes)
            {
                var path = Path.Combine(root, $"episodes-{size / 1_000_000}M");
                Build(path, size);
                var csharp = RunChild(Environment.ProcessPath!, ChildArguments(path, options), "C#");
                var python = RunChild(options.Python, [Path.Combine(AppContext.BaseDirectory, "reference.py"), path, "--batch", options.BatchSize.ToString(CultureInfo.InvariantCulture), "--block", options.BlockSize.ToString(CultureInfo.InvariantCulture), "--seed", LoaderSeed.ToString(CultureInfo.InvariantCulture), "--seconds", options.Seconds.ToString(CultureInfo.InvariantCulture), "--checksum-batches", ChecksumBatches.ToString(CultureInfo.InvariantCulture)], "PyTorch");
                rows.Add((size, csharp!, python));
                if (!options.Keep)
                {
                    Directory.Delete(path, recursive: true);
                }
            }
        }
        finally
        {
            if (!options.Keep)
            {
                Directory.Delete(root, recursive: true);
            }
        }

        Report(rows);
        return rows.All(r => r.Python is null || r.CSharp["checksum"]!.GetValue<string>() == r.Python["checksum"]!.GetValue<string>()) ? 0 : 3;
    }

    private static List<string> ChildArguments(string path, Args options)
    {
        var list = new List<string>();
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            list.Add(typeof(Program).Assembly.Location);
        }

        list.AddRange(["--measure", path, "--batch", options.BatchSize.ToString(CultureInfo.InvariantCulture), "--block", options.BlockSize.ToString(CultureInfo.InvariantCulture), "--seconds", options.Seconds.ToString(CultureInfo.InvariantCulture)]);
        return list;
    }

    /// <summary>Writes a synthetic SFT dataset: lengths uniform in [64, 4096], prompt (mask 0) then response (mask 1).</summary>
    private static void Build(string path, long tokens)
    {
        var watch = Stopwatch.StartNew();
        var inWriter = new Stopwatch();
        var rng = new Xoshiro256StarStar(20250101);
        var tokenBuffer = new int[4096];
        var maskBuffer = new byte[4096];
        using (var writer = new EpisodeDatasetWriter(path, new EpisodeDatasetWriterOptions
        {
            VocabSize = VocabSize,
            PadId = PadId,
            Tokenizer = new TokenizerIdentity { Name = "gpt2 (synthetic ids)" },
            Source = "bench/EpisodeLoader",
            ValidationFraction = 0.01,
            Overwrite = true,
        }))
        {
            while (writer.TokenCount < tokens)
            {
                var length = (int)Math.Min(64 + (long)rng.NextBounded(4096 - 64 + 1), tokens - writer.TokenCount);
                var prompt = (int)(length * (0.1 + (0.2 * (rng.NextUInt64() >> 11) / (double)(1UL << 53))));
                for (var i = 0; i < length; i++)
                {
                    var r = rng.NextUInt64();
                    tokenBuffer[i] = (int)((r >> 16) % VocabSize);
                    maskBuffer[i] = (byte)(i >= prompt ? 1 : 0);
                }

                inWriter.Start();
                writer.AppendEpisode(tokenBuffer.AsSpan(0, length), maskBuffer.AsSpan(0, length));
                inWriter.Stop();
            }

            inWriter.Start();
            writer.Complete();
            inWriter.Stop();
        }

        var bytes = Directory.GetFiles(path).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built {path}: {tokens / 1e6:F0}M tokens, {bytes / 1e6:F0} MB in {watch.Elapsed.TotalSeconds:F1} s, of which {inWriter.Elapsed.TotalSeconds:F1} s in EpisodeDatasetWriter ({bytes / 1e6 / inWriter.Elapsed.TotalSeconds:F0} MB/s, fsync included)"));
    }

    /// <summary>The child: opens the dataset, assembles batches for a while, reports throughput, memory and a checksum.</summary>
    private static int Measure(string path, Args options)
    {
        var start = MemoryStatus.Read();
        var watch = Stopwatch.StartNew();
        using var dataset = EpisodeDataset.Open(path);
        var openSeconds = watch.Elapsed.TotalSeconds;
        var loaderOptions = new EpisodeLoaderOptions
        {
            BatchSize = options.BatchSize,
            BlockSize = options.BlockSize,
            Seed = LoaderSeed,
            LongEpisodes = LongEpisodePolicy.SplitIntoWindows,
        };
        watch.Restart();
        var loader = EpisodeDataLoader.CreateTrain(dataset, loaderOptions);
        var buildSeconds = watch.Elapsed.TotalSeconds;
        var batch = loader.CreateBatch();

        // Checksum of the first batches (not timed): the reference computes the same from the same documented order.
        var checksum = 0UL;
        for (var b = 0; b < Math.Min(ChecksumBatches, loader.BatchesPerEpoch); b++)
        {
            loader.NextBatch(batch);
            checksum += (ulong)(b + 1) * BatchChecksum(batch);
        }

        // Warm-up, then the timed run: at least one full epoch (every page of the dataset is touched) and the requested time.
        loader = EpisodeDataLoader.CreateTrain(dataset, loaderOptions);
        for (var i = 0; i < 20; i++)
        {
            loader.NextBatch(batch);
        }

        loader = EpisodeDataLoader.CreateTrain(dataset, loaderOptions);
        var before = MemoryStatus.Read();
        long batches = 0, targets = 0;
        watch.Restart();
        while (batches < loader.BatchesPerEpoch || watch.Elapsed.TotalSeconds < options.Seconds)
        {
            loader.NextBatch(batch);
            batches++;
            targets += batch.TargetCount;
        }

        var seconds = watch.Elapsed.TotalSeconds;
        var liveManaged = GC.GetTotalMemory(forceFullCollection: true);
        var after = MemoryStatus.Read();
        using var process = Process.GetCurrentProcess();
        var result = new JsonObject
        {
            ["tokens"] = dataset.TokenCount,
            ["samples"] = loader.SampleCount,
            ["openSeconds"] = openSeconds,
            ["loaderBuildSeconds"] = buildSeconds,
            ["batches"] = batches,
            ["seconds"] = seconds,
            ["slotTokensPerSecond"] = batches * options.BatchSize * (double)options.BlockSize / seconds,
            ["targetsPerSecond"] = targets / seconds,
            ["paddingFraction"] = loader.Statistics.PaddingFraction,
            ["checksum"] = checksum.ToString("X16", CultureInfo.InvariantCulture),
            ["rssStartMB"] = start.RssKb / 1024.0,
            ["rssAnonBeforeMB"] = before.RssAnonKb / 1024.0,
            ["rssAnonMB"] = after.RssAnonKb / 1024.0,
            ["rssFileMB"] = after.RssFileKb / 1024.0,
            ["rssMB"] = after.RssKb / 1024.0,
            ["peakRssMB"] = after.PeakRssKb / 1024.0,
            ["privateBytesMB"] = process.PrivateMemorySize64 / 1048576.0,
            ["workingSetMB"] = process.WorkingSet64 / 1048576.0,
            ["gcHeapMB"] = liveManaged / 1048576.0,
        };
        Console.WriteLine("RESULT " + result.ToJsonString());
        return 0;
    }

    /// <summary>sum over i of (i+1) * (X[i] + 3 Y[i] + 7 mask[i]), wrapping in 64 bits.</summary>
    private static ulong BatchChecksum(EpisodeBatch batch)
    {
        ulong sum = 0;
        var x = batch.Inputs;
        var y = batch.Targets;
        var m = batch.LossMask;
        for (var i = 0; i < x.Length; i++)
        {
            sum += (ulong)(i + 1) * (ulong)(x[i] + (3 * y[i]) + (7 * (long)m[i]));
        }

        return sum;
    }

    private static JsonObject? RunChild(string fileName, IEnumerable<string> arguments, string label)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            JsonObject? result = null;
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("RESULT ", StringComparison.Ordinal))
                {
                    result = JsonNode.Parse(line["RESULT ".Length..])!.AsObject();
                }
                else
                {
                    Console.WriteLine($"  [{label}] {line}");
                }
            }

            process.WaitForExit();
            if (process.ExitCode != 0 || result is null)
            {
                Console.WriteLine($"  [{label}] failed with exit code {process.ExitCode}: {stderr.Result.Trim()}");
                return null;
            }

            return result;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"  [{label}] could not start {fileName}: {e.Message}");
            return null;
        }
    }

    private static void Report(List<(long Size, JsonObject CSharp, JsonObject? Python)> rows)
    {
        static double D(JsonObject? o, string name) => o is null ? double.NaN : o[name]!.GetValue<double>();
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("throughput (tokens of B*T slots per second; real targets per second in parentheses)");
        Console.WriteLine("  dataset |        C# (EpisodeDataLoader) |        PyTorch (numpy memmap) | ratio C#/Py | same first batches");
        foreach (var (size, cs, py) in rows)
        {
            var same = py is null ? "n/a" : cs["checksum"]!.GetValue<string>() == py["checksum"]!.GetValue<string>() ? "yes" : "NO";
            Console.WriteLine(string.Create(c, $"  {size / 1e6,5:F0}M  | {D(cs, "slotTokensPerSecond") / 1e6,8:F1}M/s ({D(cs, "targetsPerSecond") / 1e6,6:F1}M/s)     | {D(py, "slotTokensPerSecond") / 1e6,8:F1}M/s ({D(py, "targetsPerSecond") / 1e6,6:F1}M/s)     | {D(cs, "slotTokensPerSecond") / D(py, "slotTokensPerSecond"),10:F1}x | {same}"));
        }

        Console.WriteLine();
        Console.WriteLine("process memory after at least one full epoch (MB; RssAnon = private anonymous memory, RssFile = mapped dataset pages in the page cache)");
        Console.WriteLine("  dataset | C#: RssAnon  RssFile   VmRSS  VmHWM  private  managed | Py: RssAnon  RssFile   VmRSS  VmHWM | C# open+validate, loader build (s)");
        foreach (var (size, cs, py) in rows)
        {
            Console.WriteLine(string.Create(c, $"  {size / 1e6,5:F0}M  |   {D(cs, "rssAnonMB"),8:F1} {D(cs, "rssFileMB"),8:F1} {D(cs, "rssMB"),7:F1} {D(cs, "peakRssMB"),6:F1} {D(cs, "privateBytesMB"),8:F1} {D(cs, "gcHeapMB"),8:F1} |   {D(py, "rssAnonMB"),8:F1} {D(py, "rssFileMB"),8:F1} {D(py, "rssMB"),7:F1} {D(py, "peakRssMB"),6:F1} | {D(cs, "openSeconds"),5:F2}, {D(cs, "loaderBuildSeconds"),5:F2}"));
        }

        if (rows.Count >= 2)
        {
            var (small, large) = (rows[0], rows[^1]);
            var ratio = (double)large.Size / small.Size;
            Console.WriteLine(string.Create(c, $"dataset {ratio:F0}x larger: C# RssAnon {D(small.CSharp, "rssAnonMB"):F1} -> {D(large.CSharp, "rssAnonMB"):F1} MB, live managed heap {D(small.CSharp, "gcHeapMB"):F1} -> {D(large.CSharp, "gcHeapMB"):F1} MB (file-backed pages {D(small.CSharp, "rssFileMB"):F0} -> {D(large.CSharp, "rssFileMB"):F0} MB are the page cache, reclaimable)"));
        }
    }
}
