// Entry point of the `maskedsft` command: builds the root command from one factory per command group.
using System.CommandLine;
using MaskedSft.Cli;

var root = new RootCommand("maskedsft: loss-masked and advantage-weighted fine-tuning of causal language models.");
foreach (var command in CommandCatalog.All())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
