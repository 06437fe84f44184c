// `maskedsft version`: prints the tool's version.
using System.CommandLine;
using System.Reflection;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `version` command.</summary>
internal static class VersionCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var command = new Command("version", "Print the version of maskedsft.");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"maskedsft {version}");
            return 0;
        });
        return command;
    }
}
