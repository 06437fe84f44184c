// `maskedsft validate [--checkpoint DIR]`: runs the validation kit on the built-in tiny GPT or a checkpoint; PASS/FAIL table.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Doctor;
using MaskedSft.Testing;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `validate` command.</summary>
internal static class CheckCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var checkpoint = new Option<DirectoryInfo?>("--checkpoint")
        {
            Description = "A checkpoint folder (or a run directory / checkpoints folder: its newest checkpoint). Default: a fresh 2x64 tiny GPT.",
        };
        var skipTraining = new Option<bool>("--skip-training") { Description = "Skip the masked-pattern training check (it trains two small models, ~10-30 s)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the built-in model and the synthetic batches.", DefaultValueFactory = _ => 1234 };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: libtorch's choice)." };
        var command = new Command("check", "Run the testing kit's loss-masking checks (masked targets, gradients, mask effect, empty mask, accumulation, advantages, training) and print PASS/FAIL per check; exit 0 only if all pass.");
        command.Options.Add(checkpoint);
        command.Options.Add(skipTraining);
        command.Options.Add(seed);
        command.Options.Add(threads);
        command.Aliases.Add("validate"); // the name before the testing kit was renamed
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                if (parseResult.GetValue(threads) is { } t) TorchOps.SetNumThreads(t);
                var watch = Stopwatch.StartNew();
                var dir = parseResult.GetValue(checkpoint);
                TinyGpt model;
                if (dir is not null)
                {
                    var folder = Trainer.ResolveCheckpoint(dir.FullName);
                    model = TinyGpt.Load(Path.Combine(folder, CheckpointMetadata.ModelFileName));
                    output.WriteLine($"model: checkpoint {folder} ({model.Config.Describe()})");
                }
                else
                {
                    model = new TinyGpt(GptConfig.Tiny with { BlockSize = 32 }, parseResult.GetValue(seed));
                    output.WriteLine($"model: built-in tiny GPT ({model.Config.Describe()})");
                }

                using (model)
                {
                    model.Eval();
                    var training = parseResult.GetValue(skipTraining) ? null : CheckSuite.QuickTraining with { Seed = parseResult.GetValue(seed) };
                    if (training is not null) output.WriteLine($"training check: fresh {training.Model.Layers}x{training.Model.EmbeddingSize} GPT, vocabulary {training.Model.VocabSize}, {training.Steps} steps, with and without the mask");
                    output.WriteLine();
                    var report = CheckSuite.Run(model, new LossMaskCheckOptions { Seed = parseResult.GetValue(seed) }, training);
                    output.Write(report.ToTable());
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(report.AllPassed ? "ALL CHECKS PASSED" : "CHECKS FAILED")} in {watch.Elapsed.TotalSeconds:F1} s"));
                    return report.AllPassed ? 0 : 1;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or TorchException or ArgumentException or MaskedSft.Torch.Safetensors.SafetensorsFormatException)
            {
                error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
