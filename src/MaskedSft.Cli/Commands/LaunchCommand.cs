// `maskedsft launch --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P] -- <command> ...`:
// starts one process per rank with torchrun's environment, prefixes their output, and stops all when one fails.
using System.CommandLine;
using System.Runtime.InteropServices;
using MaskedSft.Cli.Launch;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `launch` command.</summary>
internal static class LaunchCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var processes = new Option<int>("--nproc-per-node") { Description = "Processes (ranks) to start on this node (one per GPU for NCCL).", Required = true };
        var nodes = new Option<int>("--nnodes") { Description = "Nodes in the world.", DefaultValueFactory = _ => 1 };
        var nodeRank = new Option<int>("--node-rank") { Description = "This node's index in [0, nnodes).", DefaultValueFactory = _ => 0 };
        var address = new Option<string?>("--master-addr") { Description = "Host of rank 0's rendezvous store (default 127.0.0.1; required with several nodes)." };
        var port = new Option<int>("--master-port") { Description = "Port of the rendezvous store; 0 picks a free one (single node only).", DefaultValueFactory = _ => 0 };
        var command = new Argument<string[]>("command") { Description = "The program and its arguments, after `--` (e.g. -- maskedsft train ...).", Arity = ArgumentArity.OneOrMore };

        var launch = new Command(
            "launch",
            "Start a command once per rank with torchrun's environment (MASTER_ADDR, MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE), "
            + "prefix each output line with its rank, and stop every rank when one fails (the launch returns its exit code).");
        foreach (var o in new Option[] { processes, nodes, nodeRank, address, port })
        {
            launch.Options.Add(o);
        }

        launch.Arguments.Add(command);
        launch.SetAction(async (parseResult, cancellationToken) =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            LaunchPlan plan;
            try
            {
                plan = LaunchPlan.Create(
                    parseResult.GetValue(processes), parseResult.GetValue(nodes), parseResult.GetValue(nodeRank),
                    parseResult.GetValue(address), parseResult.GetValue(port));
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"launch: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            // Ctrl+C (SIGINT) and SIGTERM on the launcher are forwarded to the ranks instead of ending the launcher
            // first (which would leave them running).
            using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var signal = "INT";
            void Forward(PosixSignalContext context)
            {
                context.Cancel = true;
                signal = context.Signal == PosixSignal.SIGTERM ? "TERM" : "INT";
                interrupted.Cancel();
            }

            using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
            using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
            var sink = new LineSink(parseResult.InvocationConfiguration.Output, stderr);
            return await new RankSupervisor(sink).RunAsync(plan, parseResult.GetValue(command)!, () => signal, interrupted.Token).ConfigureAwait(false);
        });
        return launch;
    }
}
