// `maskedsft prepare`: chat JSONL (OpenAI messages) and Atropos scored-data JSONL to an episode dataset, with stats.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MaskedSft.Cli.Terminal;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `prepare` command.</summary>
internal static class PrepareCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "JSONL input: {\"messages\": [...]} chat lines and/or Atropos {\"tokens\", \"masks\", \"scores\"} lines.", Required = true };
        var tokenizerOption = new Option<string>("--tokenizer")
        {
            Description = "A tokenizer.json, GPT-2's encoder.json, or a folder holding either, e.g. a Hugging Face model folder (its chat template is used).",
            Required = true,
        };
        var template = new Option<string?>("--template")
        {
            Description = $"Chat template: {ChatTemplate.BuiltInNames}, or a template JSON file (docs/chat-templates.md). "
                + "Default: the chat template of a --tokenizer model folder (an unrecognised one is an error), else chatml.",
        };
        var enableThinking = new Option<bool>("--enable-thinking")
        {
            Description = "Qwen3: whether the model thinks at inference (default true); with false, the empty think block of a trained turn is prompt, not trained.",
            DefaultValueFactory = _ => true,
        };
        var date = new Option<string?>("--date") { Description = "The \"Today Date\" of Llama 3.1/3.2 templates, e.g. \"26 Jul 2024\" (default: the template's)." };
        var maxLength = new Option<int>("--max-length") { Description = "Truncate episodes to this many tokens (0: no limit).", DefaultValueFactory = _ => 0 };
        var valFraction = new Option<double>("--val-fraction") { Description = "Fraction of episodes in the validation split.", DefaultValueFactory = _ => 0.0 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the train/validation split.", DefaultValueFactory = _ => 0UL };
        var output = new Option<string>("--out") { Description = "The episode dataset directory to create.", Required = true };
        var skipBad = new Option<bool>("--skip-bad") { Description = "Report and skip bad lines instead of stopping at the first." };
        var trainOn = new Option<string>("--train-on") { Description = "Train every assistant turn (all) or only the last (last).", DefaultValueFactory = _ => "all" };
        trainOn.AcceptOnlyFromAmong("all", "last");
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing dataset at --out." };

        var command = new Command("prepare", "Tokenize chat or Atropos JSONL into an episode dataset with assistant-only loss masks.");
        foreach (var option in new Option[] { input, tokenizerOption, template, enableThinking, date, maxLength, valFraction, seed, output, skipBad, trainOn, overwrite })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            int max = parseResult.GetValue(maxLength);
            double fraction = parseResult.GetValue(valFraction);
            if (max < 0)
            {
                stderr.WriteLine($"error: --max-length must be 0 (no limit) or positive, got {max}.");
                return 2;
            }

            if (!(fraction >= 0 && fraction <= 1))
            {
                stderr.WriteLine($"error: --val-fraction must be in [0, 1], got {fraction.ToString(CultureInfo.InvariantCulture)}.");
                return 2;
            }

            string inputPath = parseResult.GetValue(input)!;
            string tokenizerPath = Path.GetFullPath(parseResult.GetValue(tokenizerOption)!);
            try
            {
                var clock = Stopwatch.StartNew();
                var (tokenizer, chatTemplate, templateSource) = LoadTokenizerAndTemplate(tokenizerPath, parseResult.GetValue(template));
                var options = new PreparationOptions
                {
                    InputPath = inputPath,
                    OutputPath = parseResult.GetValue(output)!,
                    Tokenizer = tokenizer,
                    TokenizerPath = tokenizerPath,
                    Template = chatTemplate,
                    EnableThinking = parseResult.GetValue(enableThinking),
                    DateString = parseResult.GetValue(date),
                    MaxLength = max,
                    ValidationFraction = fraction,
                    Seed = parseResult.GetValue(seed),
                    TrainOn = parseResult.GetValue(trainOn) == "last" ? AssistantTurns.Last : AssistantTurns.All,
                    SkipBadLines = parseResult.GetValue(skipBad),
                    Overwrite = parseResult.GetValue(overwrite),
                };
                var terminal = TerminalProgress.ForStandardError(stdout);
                var stats = await Task.Run(() => terminal.Run("prepare", 1.0, live => EpisodePreparation.Run(options, new ProgressBar(stderr, terminal.Enabled ? live : null), cancellationToken)),
                    cancellationToken).ConfigureAwait(false);
                WriteStats(stdout, options, templateSource, stats, clock.Elapsed);
                return 0;
            }
            catch (PreparationLineException e)
            {
                stderr.WriteLine();
                stderr.WriteLine($"error: {e.Message}");
                stderr.WriteLine("No dataset was written. Fix the line, or pass --skip-bad to report and skip bad lines.");
                return 1;
            }
            catch (OperationCanceledException)
            {
                stderr.WriteLine();
                stderr.WriteLine("prepare: cancelled; no dataset was written.");
                return 130;
            }
            catch (Exception e) when (e is FileNotFoundException or TokenizerFormatException or ChatTemplateException or InvalidDataException or IOException or UnauthorizedAccessException or EpisodeDatasetException)
            {
                stderr.WriteLine();
                stderr.WriteLine($"error: {e.Message}");
                stderr.WriteLine("No dataset was written.");
                return 1;
            }
        });
        return command;
    }

    /// <summary>
    /// The tokenizer of <paramref name="tokenizerPath"/> and the chat template to use: <paramref name="templateArgument"/> when
    /// given; else, for a model folder that names a chat template, that template recognised (or a ChatTemplateException with
    /// a hint); else chatml.
    /// </summary>
    private static (BpeTokenizer Tokenizer, ChatTemplate Template, string Source) LoadTokenizerAndTemplate(string tokenizerPath, string? templateArgument)
    {
        if (Directory.Exists(tokenizerPath) && ModelFolderTokenizer.HasChatTemplate(tokenizerPath))
        {
            var model = ModelFolderTokenizer.Load(tokenizerPath);
            return templateArgument is null
                ? (model.Tokenizer, model.RequireChatTemplate(), $"recognised in {model.ChatTemplateSource}")
                : (model.Tokenizer, ChatTemplate.FromNameOrPath(templateArgument), "--template, instead of the folder's");
        }

        return (BpeTokenizer.Load(tokenizerPath), ChatTemplate.FromNameOrPath(templateArgument ?? "chatml"), templateArgument is null ? "default" : "--template");
    }

    private static void WriteStats(TextWriter output, PreparationOptions options, string templateSource, PreparationStatistics s, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"Wrote episode dataset {Path.GetFullPath(options.OutputPath)}");
        output.WriteLine(string.Create(c, $"  input         {options.InputPath}: {s.Lines:N0} lines in {elapsed.TotalSeconds:F1} s"));
        output.WriteLine($"  tokenizer     {options.Tokenizer.Name} ({options.Tokenizer.VocabularySize:N0} ids), template {options.Template.Name} ({templateSource}), train on {options.TrainOn.ToString().ToLowerInvariant()} assistant turns");
        output.WriteLine(string.Create(c, $"  episodes      {s.Episodes:N0} (train {s.TrainEpisodes:N0}, validation {s.ValidationEpisodes:N0}; chat {s.ChatEpisodes:N0}, atropos {s.AtroposEpisodes:N0})"));
        output.WriteLine(string.Create(c, $"  tokens        {s.Tokens:N0} (mean {(s.Episodes == 0 ? 0 : (double)s.Tokens / s.Episodes):F1} per episode)"));
        output.WriteLine(string.Create(c, $"  supervised    {s.SupervisedTargets:N0} of {s.Targets:N0} targets ({100 * s.SupervisedFraction:F1}%)"));
        output.WriteLine(s.HasAdvantages ? "  advantages    yes (from Atropos lines; 1.0 where a line has none)" : "  advantages    no");
        output.WriteLine(options.MaxLength == 0
            ? "  truncated     0 episodes (no --max-length)"
            : string.Create(c, $"  truncated     {s.Truncated:N0} episodes cut to {options.MaxLength:N0} tokens"));
        output.WriteLine(string.Create(c, $"  dropped       {s.DroppedNoSupervision:N0} episodes without a supervised token"));
        output.WriteLine(string.Create(c, $"  all trained   {s.AllSupervised:N0} episodes with every target supervised (check their masks)"));
        output.WriteLine(string.Create(c, $"  skipped       {s.SkippedLines:N0} bad lines"));
        foreach (var e in s.SkippedErrors.Take(10))
        {
            output.WriteLine($"    {e.Message}");
        }

        if (s.SkippedLines > 10)
        {
            output.WriteLine(string.Create(c, $"    ... and {s.SkippedLines - 10:N0} more"));
        }
    }

    /// <summary>Preparation progress: the terminal's Spectre bar (with ETA) when one is shown, else one plain line per 10%
    /// on stderr (the format scripts read).</summary>
    private sealed class ProgressBar(TextWriter writer, TerminalProgress.ProgressBar? live) : IProgress<PreparationProgress>
    {
        private int _lastDecile = -1;

        public void Report(PreparationProgress value)
        {
            double fraction = value.TotalBytes == 0 ? 1 : Math.Clamp((double)value.BytesRead / value.TotalBytes, 0, 1);
            if (live is not null)
            {
                live.Report(fraction);
                live.Describe(string.Create(CultureInfo.InvariantCulture, $"prepare: {value.Lines:N0} lines, {value.Episodes:N0} episodes"));
                return;
            }

            int decile = (int)(fraction * 10);
            if (decile > _lastDecile)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"prepare [{new string('#', (int)(fraction * 30)).PadRight(30, '.')}] {100 * fraction,5:F1}% {value.Lines:N0} lines, {value.Episodes:N0} episodes"));
                _lastDecile = decile;
            }
        }
    }
}
