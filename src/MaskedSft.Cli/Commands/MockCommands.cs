// `maskedsft mock-train` and `maskedsft mock-hard-examples`: the mock training harness and the focused hard-example check.
using System.CommandLine;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Training;
using MaskedSft.Testing.Mock;

namespace MaskedSft.Cli.Commands;

/// <summary>Factories of the mock commands.</summary>
internal static class MockCommands
{
    /// <summary>Creates `mock-train`.</summary>
    public static Command CreateTrain()
    {
        var defaults = new TrainerOptions(); // the one set of defaults (TrainerOptions' XML docs)
        var hardDefaults = defaults.HardExamples ?? new HardExampleTrackerOptions();
        var steps = new Option<int>("--num-train-steps") { Description = "Training steps.", DefaultValueFactory = _ => defaults.MaxSteps };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => defaults.BatchSize };
        var logInterval = new Option<int>("--log-interval") { Description = "Steps between metric lines.", DefaultValueFactory = _ => defaults.LogInterval };
        var hardInterval = new Option<int>("--hard-example-log-interval") { Description = "Steps between hard-example listings.", DefaultValueFactory = _ => hardDefaults.LogInterval };
        var buffer = new Option<int>("--max-hard-examples-buffer") { Description = "Hard-example buffer capacity (K).", DefaultValueFactory = _ => hardDefaults.Capacity };
        var noHard = new Option<bool>("--no-hard-examples") { Description = "Turn hard-example tracking off." };
        var checkpointDir = new Option<string>("--checkpoint-dir") { Description = "Where checkpoints go.", DefaultValueFactory = _ => MockTrainingRun.DefaultCheckpointDirectory };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data and the model.", DefaultValueFactory = _ => defaults.Seed };
        var command = new Command("mock-train", "Train a small real model on mock robot episodes through the training engine (the learning-rate schedule and AdamW settings of `train`): gradient norms, hard-example tracking and a verified checkpoint reload.");
        foreach (var option in new Option[] { steps, batchSize, logInterval, hardInterval, buffer, noHard, checkpointDir, seed })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            TrainerOptions options;
            try
            {
                options = defaults with
                {
                    MaxSteps = parse.GetValue(steps),
                    BatchSize = parse.GetValue(batchSize),
                    LogInterval = parse.GetValue(logInterval),
                    HardExamples = parse.GetValue(noHard) ? null : hardDefaults with { LogInterval = parse.GetValue(hardInterval), Capacity = parse.GetValue(buffer) },
                    OutputDirectory = parse.GetValue(checkpointDir)!,
                    Seed = parse.GetValue(seed),
                };
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"mock-train: {ex.Message}");
                return 2;
            }

            return new MockTrainingRun(options, parse.InvocationConfiguration.Output).Run().Success ? 0 : 1;
        });
        return command;
    }

    /// <summary>Creates `mock-hard-examples`.</summary>
    public static Command CreateHardExamples()
    {
        var steps = new Option<int>("--steps") { Description = "Steps to run.", DefaultValueFactory = _ => 50 };
        var batchSize = new Option<int>("--batch-size") { Description = "Samples per step.", DefaultValueFactory = _ => 16 };
        var buffer = new Option<int>("--buffer-size") { Description = "Hard-example buffer capacity (K).", DefaultValueFactory = _ => 50 };
        var command = new Command("mock-hard-examples", "Run the focused hard-example tracking check on mock data and print TEST PASSED or the failure.");
        command.Options.Add(steps);
        command.Options.Add(batchSize);
        command.Options.Add(buffer);
        command.SetAction(parse =>
        {
            MockHardExampleCheck check;
            try
            {
                check = new MockHardExampleCheck(parse.GetValue(steps), parse.GetValue(batchSize), parse.GetValue(buffer), parse.InvocationConfiguration.Output);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine($"mock-hard-examples: {ex.Message}");
                return 2;
            }

            return check.Run() is null ? 0 : 1;
        });
        return command;
    }
}
