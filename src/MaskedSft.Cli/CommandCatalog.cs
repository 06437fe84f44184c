// The list of command groups of the `maskedsft` tool; each group lives in its own file under Commands/.
using System.CommandLine;
using MaskedSft.Cli.Commands;

namespace MaskedSft.Cli;

/// <summary>Collects the top-level commands of the tool.</summary>
internal static class CommandCatalog
{
    /// <summary>Every top-level command, in the order `--help` lists them.</summary>
    public static IEnumerable<Command> All()
    {
        yield return VersionCommand.Create();
        yield return DatasetCommand.Create();
        yield return MockCommands.CreateTrain();
        yield return MockCommands.CreateHardExamples();
        yield return PrepareCommand.Create();
        yield return InspectCommand.Create();
        yield return TokenizeCommand.Create();
        yield return LogProbsCommand.Create();
        yield return GenerateCommand.Create();
        yield return CheckCommand.Create();
        yield return TrainCommand.Create();
        yield return DoctorCommand.Create();
        yield return LaunchCommand.Create();
        yield return AtroposCommands.CreateServe();
        yield return AtroposCommands.CreateEnv();
        yield return AtroposCommands.CreateTrain();
    }
}
