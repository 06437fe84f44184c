// `maskedsft doctor rl RUN [--out FILE]`: judges seed 004's GRPO hypotheses H01-H06 on an RL run directory.
using System.CommandLine;
using MaskedSft.MLNet.Doctor;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `doctor rl` subcommand.</summary>
internal static class DoctorRlCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var run = new Argument<DirectoryInfo>("RUN") { Description = "RL run directory (metrics.jsonl; run.json and token_boundaries.jsonl when present)." };
        var output = new Option<FileInfo?>("--out") { Description = $"Where to write the Markdown report (default RUN/{RlRunDoctor.ReportFileName})." };
        var command = new Command("rl", "Check GRPO debugging hypotheses H01-H06 (advantage scaling, token masking, KL, truncation, reward signal, LoRA sync) on a run: evidence and validated / invalidated / inconclusive each.");
        command.Arguments.Add(run);
        command.Options.Add(output);
        command.SetAction(parseResult =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var dir = parseResult.GetValue(run)!;
            RlRunRecord record;
            try
            {
                record = RlRunRecord.Read(dir.FullName);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {e.Message}");
                return 2;
            }

            var findings = RlRunDoctor.Diagnose(record);
            var text = RlRunDoctor.ToMarkdown(record, findings);
            var path = parseResult.GetValue(output)?.FullName ?? Path.Combine(dir.FullName, RlRunDoctor.ReportFileName);
            File.WriteAllText(path, text);
            foreach (var f in findings) console.WriteLine($"{f.Id} {RlRunDoctor.Name(f.Verdict),-12} {f.Title}");
            console.WriteLine($"report: {path}");
            return findings.Any(f => f.Verdict == HypothesisVerdict.Validated) ? 1 : 0;
        });
        return command;
    }
}
