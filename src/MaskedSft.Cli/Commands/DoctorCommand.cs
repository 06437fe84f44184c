// `maskedsft doctor --data DIR [--block-size T] [--checkpoint DIR]`: cheap checks of training data and checkpoints.
using System.CommandLine;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Models;
using MaskedSft.Testing;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `doctor` command.</summary>
internal static class DoctorCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "Episode dataset to check (mask content, loader alignment, truncation, reward groups)." };
        var block = new Option<int>("--block-size") { Description = "Training block size T (targets per row).", DefaultValueFactory = _ => 256 };
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint") { Description = "Checkpoint folder or run directory to check (moments, scheduler, RNG, loader state, weights)." };
        var command = new Command("doctor", "Catch common training-setup bugs cheaply: empty or all-ones masks, misaligned masks, truncation that empties episodes, flat reward groups, incomplete checkpoints.");
        command.Options.Add(data);
        command.Options.Add(block);
        command.Options.Add(checkpoint);
        command.Subcommands.Add(DoctorRlCommand.Create());
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var dataDir = parseResult.GetValue(data);
            var checkpointDir = parseResult.GetValue(checkpoint);
            var blockSize = parseResult.GetValue(block);
            if (dataDir is null && checkpointDir is null)
            {
                error.WriteLine("error: give --data DIR and/or --checkpoint DIR.");
                return 2;
            }

            if (blockSize <= 0)
            {
                error.WriteLine($"error: --block-size must be positive (got {blockSize}).");
                return 2;
            }

            var results = new List<CheckResult>();
            if (dataDir is not null)
            {
                try
                {
                    using var dataset = EpisodeDataset.Open(dataDir.FullName);
                    output.WriteLine($"data: {dataset.DirectoryPath} ({dataset.EpisodeCount:N0} episodes), block size {blockSize}");
                    results.AddRange(DatasetDoctor.RunAll(dataset, blockSize).Results);
                }
                catch (EpisodeDatasetException e)
                {
                    error.WriteLine($"error: {e.Message}");
                    return 2;
                }
            }

            if (checkpointDir is not null)
            {
                output.WriteLine($"checkpoint: {checkpointDir.FullName}");
                results.Add(CheckpointDoctor.Contents(checkpointDir.FullName));
            }

            var report = new CheckReport(results);
            output.WriteLine();
            output.Write(report.ToTable());
            output.WriteLine(report.AllPassed ? "DOCTOR: no problem found" : "DOCTOR: problems found");
            return report.AllPassed ? 0 : 1;
        });
        return command;
    }
}
