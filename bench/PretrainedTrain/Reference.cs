// The transformers + peft side: runs reference.py (write a model folder, measure a mode) and reads its JSON line.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MaskedSft.Bench.PretrainedTrain;

/// <summary>reference.py under a Python that has torch, transformers and peft.</summary>
internal sealed class Reference(string python, string script)
{
    private string? _versions;

    /// <summary>Whether the Python has transformers and peft (else the C# side runs alone).</summary>
    public bool Available => Versions() is not null;

    /// <summary>The reference's versions, or why it is missing.</summary>
    public string Describe() => Versions() ?? $"{python} has no transformers/peft: C# side only";

    /// <summary>Writes a random-weight folder of the shape with save_pretrained.</summary>
    public void WriteModel(string shape, string folder) => Run(["write", "--shape", shape, "--out", folder]);

    /// <summary>Measures a mode on the folder.</summary>
    public Result Measure(string folder, string mode, BenchOptions o)
    {
        using var doc = Run(["measure", "--model", folder, "--mode", mode, "--device", o.Device, "--dtype", o.DType,
            "--batch", Text(o.Batch), "--seq", Text(o.Sequence), "--warmup", Text(o.Warmup), "--steps", Text(o.Steps)]);
        var root = doc.RootElement;
        var peak = root.GetProperty("peak_bytes");
        return new Result(root.GetProperty("times_ms").EnumerateArray().Select(e => e.GetDouble()).ToList(),
            root.GetProperty("tokens_per_step").GetInt64(), peak.ValueKind == JsonValueKind.Number ? peak.GetInt64() : null);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private string? Versions()
    {
        if (_versions is not null) return _versions.Length == 0 ? null : _versions;
        try
        {
            var (exit, stdout) = Start(quiet: true, ["-c", "import torch, transformers, peft; print(f'torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}')"]);
            _versions = exit == 0 ? stdout.Trim() : string.Empty;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _versions = string.Empty;
        }

        return _versions.Length == 0 ? null : _versions;
    }

    private JsonDocument Run(string[] arguments)
    {
        var (exit, stdout) = Start(quiet: false, [script, .. arguments]);
        if (exit != 0) throw new InvalidOperationException($"reference.py {string.Join(' ', arguments)} failed ({exit}); see its stderr above.");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
    }

    /// <summary>Runs the python; its stderr goes to ours unless <paramref name="quiet"/> (the version probe).</summary>
    private (int Exit, string Stdout) Start(bool quiet, string[] arguments)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = quiet, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {python}");
        var errors = quiet ? process.StandardError.ReadToEndAsync() : null;
        var stdout = process.StandardOutput.ReadToEnd();
        errors?.Wait();
        process.WaitForExit();
        return (process.ExitCode, stdout);
    }
}
