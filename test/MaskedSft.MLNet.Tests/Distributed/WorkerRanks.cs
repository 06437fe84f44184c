// Starts the test worker (test/MaskedSft.Distributed.Worker) once per rank with torchrun's environment, the way
// `maskedsft launch` does, but without its stop-on-failure policy, so that every rank's own outcome can be asserted.
using MaskedSft.Cli.Launch;

namespace MaskedSft.MLNet.Tests.Distributed;

/// <summary>The outcome of one rank: its exit code and its [rank N]-prefixed output lines.</summary>
internal sealed record RankOutcome(int Rank, int ExitCode, string Output, string Error);

/// <summary>Runs the worker as a world of ranks on 127.0.0.1 and waits (bounded) for all of them.</summary>
internal static class WorkerRanks
{
    /// <summary>The longest a world may run before its ranks are killed and the test fails.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    /// <summary>The worker's entry assembly (copied beside the tests by the project reference).</summary>
    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "MaskedSft.Distributed.Worker.dll");

    /// <summary>"dotnet", the worker and its arguments.</summary>
    public static string[] Command(params string[] arguments) => ["dotnet", WorkerDll, .. arguments];

    /// <summary>Runs every rank to its end; a rank still running after <paramref name="killAfter"/> (default
    /// <see cref="Limit"/>) is killed and reported with its exit code then.</summary>
    public static RankOutcome[] Run(int worldSize, string[] workerArguments, TimeSpan? killAfter = null)
    {
        var plan = LaunchPlan.Create(worldSize, nodes: 1, nodeRank: 0, masterAddress: "127.0.0.1", masterPort: 0);
        var writers = new List<(StringWriter Out, StringWriter Err)>();
        var ranks = new List<RankProcess>();
        try
        {
            for (var local = 0; local < worldSize; local++)
            {
                var (o, e) = (new StringWriter(), new StringWriter());
                writers.Add((o, e));
                ranks.Add(RankProcess.Start(plan.RankOf(local), Command(workerArguments), plan.EnvironmentOf(local), new LineSink(o, e)));
            }

            var all = Task.WhenAll(ranks.Select(r => r.Exited));
            if (!all.Wait(killAfter ?? Limit))
            {
                foreach (var r in ranks.Where(r => !r.Exited.IsCompleted))
                {
                    r.Kill();
                }

                all.Wait(TimeSpan.FromSeconds(30));
            }

            return [.. ranks.Select((r, i) => new RankOutcome(r.Rank, r.ExitCode, writers[i].Out.ToString(), writers[i].Err.ToString()))];
        }
        finally
        {
            foreach (var r in ranks)
            {
                r.Kill();
                r.Dispose();
            }
        }
    }
}
