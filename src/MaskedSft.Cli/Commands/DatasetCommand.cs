// `maskedsft dataset info|verify DIR`: prints an episode dataset's header and statistics, or validates it fully.
using System.CommandLine;
using System.Globalization;
using MaskedSft.MLNet.Data;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `dataset` command group.</summary>
internal static class DatasetCommand
{
    /// <summary>Creates the `dataset` command with its `info` and `verify` subcommands.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var command = new Command("dataset", "Inspect and validate episode datasets (tokens, loss masks, advantages).");
        command.Subcommands.Add(CreateInfo());
        command.Subcommands.Add(CreateVerify());
        return command;
    }

    private static Command CreateInfo()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "The episode dataset directory." };
        var command = new Command("info", "Print the header, counts, token and supervised-target totals, and the length histogram.");
        command.Arguments.Add(directory);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var path = parseResult.GetValue(directory)!.FullName;
            try
            {
                using var dataset = EpisodeDataset.Open(path);
                WriteInfo(output, dataset, dataset.ComputeStatistics());
                return 0;
            }
            catch (EpisodeDatasetException e)
            {
                error.WriteLine($"error: {e.Message}");
                error.WriteLine($"Run `maskedsft dataset verify {path}` to list every problem.");
                return 1;
            }
        });
        return command;
    }

    private static Command CreateVerify()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "The episode dataset directory." };
        var maxErrors = new Option<int>("--max-errors")
        {
            Description = "Stop after this many errors.",
            DefaultValueFactory = _ => 20,
        };
        var command = new Command("verify", "Validate a dataset fully (header, index, sizes, token range, mask values, finite advantages); exit 1 on errors.");
        command.Arguments.Add(directory);
        command.Options.Add(maxErrors);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var path = parseResult.GetValue(directory)!.FullName;
            var limit = parseResult.GetValue(maxErrors);
            if (limit <= 0)
            {
                error.WriteLine($"error: --max-errors must be positive (got {limit}).");
                return 2;
            }

            var errors = EpisodeDataset.Verify(path, limit);
            if (errors.Count == 0)
            {
                using var dataset = EpisodeDataset.Open(path, EpisodeVerification.Structure);
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"OK: {path} is a valid episode dataset (format v{dataset.Header.FormatVersion}, {dataset.EpisodeCount:N0} episodes, {dataset.TokenCount:N0} tokens)."));
                return 0;
            }

            error.WriteLine($"FAILED: {path}: {errors.Count}{(errors.Count >= limit ? "+" : string.Empty)} error(s)");
            foreach (var e in errors)
            {
                error.WriteLine($"  [{e.Kind}] {e}");
            }

            return 1;
        });
        return command;
    }

    private static void WriteInfo(TextWriter output, EpisodeDataset dataset, EpisodeDatasetStatistics s)
    {
        var h = dataset.Header;
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"Episode dataset {dataset.DirectoryPath}");
        output.WriteLine(string.Create(c, $"  format        {h.Magic} v{h.FormatVersion}, id {h.DatasetId}"));
        output.WriteLine(string.Create(c, $"  token type    {h.TokenTypeName}, vocab size {h.VocabSize:N0}, pad id {h.PadId}"));
        output.WriteLine($"  tokenizer     {h.Tokenizer?.Name ?? "(not recorded)"}{(h.Tokenizer?.Fingerprint is { } f ? $" [{f}]" : string.Empty)}");
        if (h.Created is { } created)
        {
            output.WriteLine(string.Create(c, $"  created       {created.Utc:u} by {created.Tool} on {created.Host}{(created.Source is { } src ? $" from {src}" : string.Empty)}"));
        }

        output.WriteLine(string.Create(c, $"  episodes      {s.EpisodeCount:N0} (train {s.TrainEpisodeCount:N0}, validation {s.ValidationEpisodeCount:N0})"));
        output.WriteLine(string.Create(c, $"  tokens        {s.TokenCount:N0} (train {s.TrainTokenCount:N0}, validation {s.ValidationTokenCount:N0})"));
        output.WriteLine(string.Create(c, $"  targets       {s.TargetCount:N0}, supervised {s.SupervisedTargetCount:N0} ({100 * s.SupervisedFraction:F1}%; train {s.TrainSupervisedTargetCount:N0}, validation {s.ValidationSupervisedTargetCount:N0})"));
        output.WriteLine(string.Create(c, $"  mask audit    {s.EpisodesWithoutSupervisedTarget:N0} episodes without a supervised target, {s.FullySupervisedEpisodes:N0} fully supervised"));
        output.WriteLine(string.Create(c, $"  length        min {s.MinLength:N0}, mean {s.MeanLength:F1}, max {s.MaxLength:N0}"));
        output.WriteLine(string.Create(c, $"  advantages    {(h.HasAdvantages ? "yes" : "no")}; scores on {s.ScoredEpisodeCount:N0} episodes; {s.DistinctGroupCount:N0} groups"));
        output.WriteLine("Length histogram (tokens per episode)");
        var most = s.LengthHistogram.Count == 0 ? 1 : s.LengthHistogram.Max(b => b.Count);
        foreach (var bucket in s.LengthHistogram)
        {
            var bar = new string('#', (int)Math.Ceiling(40.0 * bucket.Count / most));
            var range = bucket.MaxLength == int.MaxValue ? $"{bucket.MinLength}+" : $"{bucket.MinLength}-{bucket.MaxLength}";
            output.WriteLine(string.Create(c, $"  {range,15} {bucket.Count,12:N0} {bar}"));
        }
    }
}
