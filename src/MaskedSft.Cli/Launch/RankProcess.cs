// One child process of a launch: started with its rank's environment, its output lines prefixed with the rank.
using System.Diagnostics;
using System.Globalization;

namespace MaskedSft.Cli.Launch;

/// <summary>A rank's process: starts the command with the rank's environment and copies each line it prints to the
/// launcher's stdout or stderr as "[rank N] line".</summary>
internal sealed class RankProcess : IDisposable
{
    private readonly Process _process;
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    private RankProcess(int rank, Process process, Task exited)
    {
        Rank = rank;
        _process = process;
        Exited = exited;
    }

    /// <summary>The global rank.</summary>
    public int Rank { get; }

    /// <summary>The process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Completes when the process has exited and its output has been copied.</summary>
    public Task Exited { get; }

    /// <summary>The exit code (only after <see cref="Exited"/> completed).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Time since the start.</summary>
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <summary>Starts the command for a rank.</summary>
    /// <exception cref="InvalidOperationException">The command could not be started (not found, not executable).</exception>
    public static RankProcess Start(int rank, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, LineSink sink)
    {
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"[rank {rank}] ");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                sink.Out(prefix + e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                sink.Error(prefix + e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"could not start `{string.Join(' ', command)}` for rank {rank}: {e.Message}", e);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RankProcess(rank, process, process.WaitForExitAsync());
    }

    /// <summary>Sends a POSIX signal (INT, TERM) through kill(1); false when the process already ended or kill failed.</summary>
    public bool Signal(string name)
    {
        if (_process.HasExited)
        {
            return false;
        }

        try
        {
            var kill = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            kill.ArgumentList.Add("-s");
            kill.ArgumentList.Add(name);
            kill.ArgumentList.Add(_process.Id.ToString(CultureInfo.InvariantCulture));
            using var sender = Process.Start(kill);
            if (sender is null)
            {
                return false;
            }

            sender.WaitForExit();
            return sender.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Ends the process (and its children) at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _process.Dispose();
}
