// The PyTorch-Python reference process of the benchmark: started once, asked for one measurement at a time.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MaskedSft.Bench;

/// <summary>reference.py running in serve mode; each <see cref="Ask"/> sends a command and parses the JSON reply.</summary>
internal sealed class PythonReference : IDisposable
{
    private readonly Process _process;

    private PythonReference(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>Interpreter, torch version and thread count.</summary>
    public string Description { get; }

    /// <summary>Starts reference.py (MASKEDSFT_PYTHON, else /usr/bin/python3, else python3) and reads its greeting.</summary>
    public static PythonReference Start(Options options)
    {
        var python = Environment.GetEnvironmentVariable("MASKEDSFT_PYTHON")
            ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
        var script = Path.Combine(AppContext.BaseDirectory, "reference.py");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            script, "--device", options.Device, "--rows", options.Rows.ToString(CultureInfo.InvariantCulture),
            "--hidden", options.Hidden.ToString(CultureInfo.InvariantCulture), "--vocab", options.Vocab.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python} {script}");
        var reference = new PythonReference(process, string.Empty);
        var hello = reference.Read();
        return new PythonReference(process,
            $"{python} {script}: torch {hello.GetProperty("torch").GetString()}, {hello.GetProperty("threads").GetInt32()} threads");
    }

    /// <summary>Sends one command and returns its JSON reply.</summary>
    public JsonElement Ask(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return Read();
    }

    /// <summary>Stops the process.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Flush();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
        }

        _process.Dispose();
    }

    private JsonElement Read()
    {
        var line = _process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"the PyTorch reference exited (code {(_process.HasExited ? _process.ExitCode : -1)}); see its error output above");
        var reply = JsonDocument.Parse(line).RootElement.Clone();
        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"the PyTorch reference failed: {error.GetString()}");
        }

        return reply;
    }
}
