// Runs `maskedsft` commands in-process through the command catalog with captured output.
using System.CommandLine;
using MaskedSft.Cli;

namespace MaskedSft.MLNet.Tests;

/// <summary>Invokes the CLI's parsed root with string writers for stdout and stderr.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var command in CommandCatalog.All())
        {
            root.Subcommands.Add(command);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that reads stdin (logprobs, generate) with <paramref name="input"/> as its stdin.</summary>
    public static (int ExitCode, string Output, string Error) RunWithInput(string input, params string[] args)
    {
        var before = MaskedSft.Cli.Commands.StdioCommand.OpenInput;
        MaskedSft.Cli.Commands.StdioCommand.OpenInput = () => new StringReader(input);
        try
        {
            return Run(args);
        }
        finally
        {
            MaskedSft.Cli.Commands.StdioCommand.OpenInput = before;
        }
    }
}
