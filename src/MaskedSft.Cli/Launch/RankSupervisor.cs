// Runs a launch: starts this node's ranks, waits, and stops them all when one fails or the launcher is interrupted.
using System.Globalization;

namespace MaskedSft.Cli.Launch;

/// <summary>
/// Starts one process per local rank and waits for them. The first rank that exits with a non-zero code ends the
/// launch: the others get SIGTERM, then SIGKILL after <see cref="StopGrace"/>, and the launch returns that rank's
/// code. Cancellation (Ctrl+C or SIGTERM on the launcher) forwards that signal to every rank, then kills those still
/// running after the grace period.
/// </summary>
internal sealed class RankSupervisor(LineSink sink)
{
    /// <summary>How long stopped ranks get to exit before they are killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>The exit code of an interrupted launch (128 + SIGINT).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Runs the plan's local ranks to completion.</summary>
    /// <param name="plan">The world and this node's ranks.</param>
    /// <param name="command">The program and its arguments.</param>
    /// <param name="interruptSignal">The signal to forward on cancellation ("INT" or "TERM").</param>
    /// <param name="cancellationToken">Cancelled when the launcher is interrupted.</param>
    /// <returns>0 when every rank succeeded, else the first failing rank's exit code (130 when interrupted).</returns>
    public async Task<int> RunAsync(LaunchPlan plan, IReadOnlyList<string> command, Func<string> interruptSignal, CancellationToken cancellationToken)
    {
        sink.Error(string.Create(CultureInfo.InvariantCulture,
            $"[launch] starting ranks {plan.RankOf(0)}..{plan.RankOf(plan.ProcessesPerNode - 1)} of {plan.WorldSize} (master {plan.MasterAddress}:{plan.MasterPort}): {string.Join(' ', command)}"));
        var ranks = new List<RankProcess>();
        try
        {
            for (var local = 0; local < plan.ProcessesPerNode; local++)
            {
                ranks.Add(RankProcess.Start(plan.RankOf(local), command, plan.EnvironmentOf(local), sink));
            }
        }
        catch (InvalidOperationException e)
        {
            sink.Error($"[launch] error: {e.Message}");
            await StopAsync(ranks, "TERM").ConfigureAwait(false);
            Dispose(ranks);
            return 1;
        }

        var cancelled = Task.Delay(Timeout.Infinite, cancellationToken);
        var running = new List<RankProcess>(ranks);
        try
        {
            while (running.Count > 0)
            {
                var finished = await Task.WhenAny(running.Select(r => r.Exited).Append(cancelled)).ConfigureAwait(false);
                if (finished == cancelled)
                {
                    var signal = interruptSignal();
                    sink.Error($"[launch] interrupted: forwarding SIG{signal} to {running.Count} rank(s)");
                    await StopAsync(running, signal).ConfigureAwait(false);
                    return InterruptedExitCode;
                }

                var rank = running.First(r => r.Exited == finished);
                running.Remove(rank);
                if (rank.ExitCode != 0)
                {
                    sink.Error(string.Create(CultureInfo.InvariantCulture,
                        $"[launch] error: rank {rank.Rank} (pid {rank.ProcessId}) failed with exit code {rank.ExitCode}{SignalNote(rank.ExitCode)} after {rank.Elapsed.TotalSeconds:0.0} s; stopping the other {running.Count} rank(s)"));
                    await StopAsync(running, "TERM").ConfigureAwait(false);
                    return rank.ExitCode;
                }
            }

            return 0;
        }
        finally
        {
            Dispose(ranks);
        }
    }

    private static string SignalNote(int exitCode) =>
        exitCode > 128 && exitCode < 160 ? string.Create(CultureInfo.InvariantCulture, $" (ended by signal {exitCode - 128})") : string.Empty;

    private static void Dispose(List<RankProcess> ranks)
    {
        foreach (var r in ranks)
        {
            r.Dispose();
        }
    }

    private async Task StopAsync(IReadOnlyList<RankProcess> ranks, string signal)
    {
        foreach (var r in ranks)
        {
            r.Signal(signal);
        }

        var all = Task.WhenAll(ranks.Select(r => r.Exited));
        if (await Task.WhenAny(all, Task.Delay(StopGrace)).ConfigureAwait(false) != all)
        {
            foreach (var r in ranks.Where(r => !r.Exited.IsCompleted))
            {
                sink.Error(string.Create(CultureInfo.InvariantCulture,
                    $"[launch] rank {r.Rank} (pid {r.ProcessId}) did not exit within {StopGrace.TotalSeconds:0} s of SIG{signal}; killing it"));
                r.Kill();
            }

            await all.ConfigureAwait(false);
        }
    }
}
