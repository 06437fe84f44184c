// Drives reference.py (the PyTorch-Python trainer twin) over stdin/stdout so its chunks interleave with the C# ones.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MaskedSft.Bench.TrainerHardExamples;

/// <summary>
/// One reference.py process holding two Python trainers of one model size (tracking off and on). <see cref="Run"/> asks it
/// for a chunk of steps of one of them and returns the per-step times; <see cref="Finish"/> makes it replay its tracker work.
/// </summary>
internal sealed class PythonReference : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private PythonReference(Process process) => _process = process;

    /// <summary>Starts reference.py and waits until both of its trainers are built.</summary>
    /// <param name="o">The options.</param>
    /// <param name="size">The model size.</param>
    /// <param name="rawDirectory">The raw copy of the dataset.</param>
    /// <param name="outDirectory">Where the Python trainers write metrics.jsonl and hard_examples.jsonl.</param>
    /// <returns>The running reference.</returns>
    public static PythonReference Start(BenchOptions o, (int Layers, int Width, int Heads) size, string rawDirectory, string outDirectory)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "reference.py");
        var repoScript = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "reference.py"));
        if (File.Exists(repoScript)) script = repoScript; // run beside scripts/reference (imports model_reference.py)
        var info = new ProcessStartInfo(o.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new object[]
                 {
                     script, rawDirectory, outDirectory, size.Layers, size.Width, size.Heads, o.Vocab, o.Batch, o.Sequence, o.Threads,
                     o.Capacity, o.Quantile, o.LogInterval, o.ReplaySteps,
                 })
        {
            info.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {o.Python}");
        var reference = new PythonReference(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (reference._stderr) reference._stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        reference.ReadReply(); // {"ready": true}
        return reference;
    }

    /// <summary>Runs <paramref name="steps"/> steps of the trainer without (false) or with (true) tracking.</summary>
    /// <returns>Per-step times (ms) and, with tracking, the time of the tracking work inside each step (µs).</returns>
    public (List<double> StepMs, List<double> TrackerUs) Run(bool tracking, int steps)
    {
        _process.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(tracking ? "on" : "off")} {steps}"));
        _process.StandardInput.Flush();
        using var reply = ReadReply();
        return (Doubles(reply.RootElement, "times_ms"), Doubles(reply.RootElement, "tracker_us"));
    }

    /// <summary>Replays the tracked run's tracker work (same steps, rows and losses) outside the training step and exits.</summary>
    /// <returns>The replay's per-step times (µs), the buffer size, the samples seen and admitted, and whether the replay
    /// had the tracked trainer's buffer at the run's end, and the replay's final buffer size.</returns>
    public (List<double> ReplayUs, int Buffer, long Seen, long Admitted, bool ReplayMatches, int ReplayBuffer) Finish()
    {
        _process.StandardInput.WriteLine("quit");
        _process.StandardInput.Flush();
        using var reply = ReadReply();
        var root = reply.RootElement;
        _process.WaitForExit();
        return (Doubles(root, "replay_us"), root.GetProperty("buffer").GetInt32(), root.GetProperty("seen").GetInt64(), root.GetProperty("admitted").GetInt64(),
            root.GetProperty("replay_buffer_matches").GetBoolean(), root.GetProperty("replay_buffer").GetInt32());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private JsonDocument ReadReply()
    {
        var line = _process.StandardOutput.ReadLine();
        if (line is null)
        {
            _process.WaitForExit();
            string stderr;
            lock (_stderr) stderr = _stderr.ToString();
            throw new InvalidOperationException($"reference.py exited ({_process.ExitCode}) without answering: {stderr}");
        }

        return JsonDocument.Parse(line);
    }

    private static List<double> Doubles(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) ? array.EnumerateArray().Select(e => e.GetDouble()).ToList() : [];
}
