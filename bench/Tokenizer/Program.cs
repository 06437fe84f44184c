// Benchmark: single-thread encode throughput (MB/s of UTF-8 input) of BpeTokenizer on >= 10 MB of mixed text, beside
// Hugging Face `tokenizers` on the same text in the same invocation (reference.py, or reference_node.js), ratio printed.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.Bench.Tokenizer;

/// <summary>Entry point.</summary>
internal static class Program
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private static int Main(string[] args)
    {
        string? tokenizersDir = null;
        double megabytes = 10;
        int passes = 3;
        string python = "python3";
        string? names = null;
        string? keepText = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--tokenizers": tokenizersDir = Next(); break;
                case "--mb": megabytes = double.Parse(Next(), C); break;
                case "--passes": passes = int.Parse(Next(), C); break;
                case "--python": python = Next(); break;
                case "--names": names = Next(); break;
                case "--keep-text": keepText = Next(); break;
                default:
                    Console.Error.WriteLine("usage: TokenizerBench [--tokenizers DIR] [--mb 10] [--passes 3] [--names qwen3,gpt2,llama3] [--python python3] [--keep-text FILE]");
                    return 2;
            }
        }

        tokenizersDir ??= FindTokenizersDir();
        if (tokenizersDir is null || !Directory.Exists(tokenizersDir))
        {
            Console.Error.WriteLine("No tokenizer folder: pass --tokenizers DIR (the .cache/tokenizers that `bash scripts/setup.sh` fills).");
            return 2;
        }

        string[] selected = names?.Split(',', StringSplitOptions.RemoveEmptyEntries)
            ?? [.. new[] { "qwen3", "gpt2", "llama3" }.Where(n => Directory.Exists(Path.Combine(tokenizersDir, n)))];

        Console.WriteLine($"Tokenizer benchmark: single-thread encode, {megabytes.ToString(C)} MB of mixed text, {passes} timed passes after one warm-up pass");
        Console.WriteLine($"machine: {CpuName()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var generate = Stopwatch.StartNew();
        var documents = new MixedText(20240611).Documents((long)(megabytes * 1_000_000));
        long totalBytes = documents.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
        string textPath = keepText ?? Path.Combine(Path.GetTempPath(), $"maskedsft-tokenizer-bench-{Environment.ProcessId}.jsonl");
        File.WriteAllLines(textPath, documents.Select(d => JsonSerializer.Serialize(d)));
        Console.WriteLine($"text: {documents.Count:N0} documents, {totalBytes:N0} UTF-8 bytes, generated in {generate.Elapsed.TotalSeconds:F1} s ({textPath})");

        var rows = new List<(string Name, JsonObject CSharp, JsonObject? Reference)>();
        try
        {
            foreach (string name in selected)
            {
                rows.Add((name, MeasureCSharp(Path.Combine(tokenizersDir, name), name, documents, totalBytes, passes), null));
            }

            var reference = RunReference(python, textPath, tokenizersDir, selected, passes);
            for (int i = 0; i < rows.Count; i++)
            {
                rows[i] = (rows[i].Name, rows[i].CSharp, reference.GetValueOrDefault(rows[i].Name));
            }
        }
        finally
        {
            if (keepText is null)
            {
                File.Delete(textPath);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"tokenizer",-10} {"C# MB/s",10} {"HF MB/s",10} {"ratio",7} {"C# 1st",9} {"HF 1st",9} {"tokens",12}  ids");
        bool allEqual = true;
        foreach (var (name, cs, reference) in rows)
        {
            double csRate = cs["mb_per_s"]!.GetValue<double>();
            string hfRate = reference is null ? "-" : reference["mb_per_s"]!.GetValue<double>().ToString("F2", C);
            string ratio = reference is null ? "-" : (csRate / reference["mb_per_s"]!.GetValue<double>()).ToString("F2", C) + "x";
            string hfFirst = reference is null ? "-" : reference["first_pass_mb_per_s"]!.GetValue<double>().ToString("F2", C);
            string same = reference is null ? "no reference"
                : reference["sha256"]!.GetValue<string>() == cs["sha256"]!.GetValue<string>() ? "identical (sha256)" : "DIFFERENT";
            allEqual &= reference is null || same.StartsWith("identical", StringComparison.Ordinal);
            Console.WriteLine(string.Create(C, $"{name,-10} {csRate,10:F2} {hfRate,10} {ratio,7} {cs["first_pass_mb_per_s"]!.GetValue<double>(),9:F2} {hfFirst,9} {cs["tokens"]!.GetValue<long>(),12:N0}  {same}"));
        }

        if (rows.Any(r => r.Reference is not null))
        {
            Console.WriteLine($"reference: {rows.First(r => r.Reference is not null).Reference!["generator"]}");
        }

        return allEqual ? 0 : 3;
    }

    private static JsonObject MeasureCSharp(string path, string name, List<string> documents, long totalBytes, int passes)
    {
        var load = Stopwatch.StartNew();
        var tokenizer = BpeTokenizer.Load(path);
        double loadSeconds = load.Elapsed.TotalSeconds;
        var ids = new List<int>(8192);

        // First pass: cold cache and JIT; also the checksum of every id (uint32 little-endian, documents in order).
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long tokens = 0;
        var first = Stopwatch.StartNew();
        foreach (string document in documents)
        {
            ids.Clear();
            tokenizer.EncodeToIds(document, ids);
            tokens += ids.Count;
            sha.AppendData(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(ids)));
        }

        double firstSeconds = first.Elapsed.TotalSeconds;
        var seconds = new List<double>();
        for (int p = 0; p < passes; p++)
        {
            var clock = Stopwatch.StartNew();
            foreach (string document in documents)
            {
                ids.Clear();
                tokenizer.EncodeToIds(document, ids);
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
        }

        seconds.Sort();
        double median = seconds[seconds.Count / 2];
        double mb = totalBytes / 1e6;
        Console.WriteLine(string.Create(C, $"C# {name}: load {loadSeconds:F2} s, first pass {mb / firstSeconds:F2} MB/s, passes {string.Join(", ", seconds.Select(s => (mb / s).ToString("F2", C)))} MB/s, {tokens:N0} tokens"));
        return new JsonObject
        {
            ["mb_per_s"] = mb / median,
            ["first_pass_mb_per_s"] = mb / firstSeconds,
            ["tokens"] = tokens,
            ["sha256"] = Convert.ToHexStringLower(sha.GetHashAndReset()),
        };
    }

    private static Dictionary<string, JsonObject> RunReference(string python, string textPath, string tokenizersDir, string[] names, int passes)
    {
        string dir = AppContext.BaseDirectory;
        string joined = string.Join(',', names);
        string passesText = passes.ToString(C);
        if (Probe(python, ["-c", "import tokenizers"]))
        {
            return RunChild(python, [Path.Combine(dir, "reference.py"), "--text", textPath, "--tokenizers", tokenizersDir, "--names", joined, "--passes", passesText]);
        }

        Console.WriteLine($"reference: `{python} -c \"import tokenizers\"` failed; trying Hugging Face tokenizers' Node binding");
        if (Probe("node", ["-e", "require('tokenizers')"]))
        {
            return RunChild("node", [Path.Combine(dir, "reference_node.js"), "--text", textPath, "--tokenizers", tokenizersDir, "--names", joined, "--passes", passesText]);
        }

        Console.WriteLine("reference: not run (neither Python `tokenizers` nor the Node package `tokenizers` is installed)");
        return [];
    }

    private static bool Probe(string program, string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in arguments)
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static Dictionary<string, JsonObject> RunChild(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["TOKENIZERS_PARALLELISM"] = "false";
        info.Environment["RAYON_NUM_THREADS"] = "1";
        using var process = Process.Start(info)!;
        var result = new Dictionary<string, JsonObject>();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            if (line.StartsWith('{'))
            {
                var row = JsonNode.Parse(line)!.AsObject();
                result[row["name"]!.GetValue<string>()] = row;
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"reference: {program} exited with {process.ExitCode}");
        }

        return result;
    }

    private static string CpuName()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.OSArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.OSArchitecture.ToString();
        }
    }

    private static string? FindTokenizersDir()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ".cache", "tokenizers");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
