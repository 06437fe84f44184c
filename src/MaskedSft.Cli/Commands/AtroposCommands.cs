// `maskedsft atropos-serve`, `atropos-env` and `atropos-train`: a local Atropos server, a synthetic environment, and the trainer.
using System.CommandLine;
using System.Globalization;
using MaskedSft.Atropos.Server;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Rl.Atropos;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;

namespace MaskedSft.Cli.Commands;

/// <summary>Factories of the Atropos commands.</summary>
internal static class AtroposCommands
{
    /// <summary>`atropos-serve`: runs the local Atropos-compatible API server until Ctrl+C.</summary>
    /// <returns>The command.</returns>
    public static Command CreateServe()
    {
        var host = new Option<string>("--host") { Description = "Address to listen on (the server has no authentication: keep it on loopback).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Port (0 = a free one, printed at start).", DefaultValueFactory = _ => 8000 };
        var state = new Option<FileInfo?>("--state") { Description = "Persist the server's state to this file after every change and read it at start, so a restart loses nothing." };
        var verbose = new Option<bool>("--verbose") { Description = "Print one line per request." };
        var command = new Command("atropos-serve", "Run a local Atropos-compatible API server (register, batch, scored_data, register-env...) on 127.0.0.1.");
        foreach (var o in new Option[] { host, port, state, verbose }) command.Options.Add(o);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            try
            {
                await using var server = await AtroposServer.StartAsync(new AtroposServerOptions
                {
                    Host = parseResult.GetValue(host)!,
                    Port = parseResult.GetValue(port),
                    StatePath = parseResult.GetValue(state)?.FullName,
                    Log = parseResult.GetValue(verbose) ? stdout : null,
                }, cancellationToken);
                stdout.WriteLine($"Atropos API listening on {server.BaseAddress}{(server.State.StatePath is { } p ? $" (state: {p}, step {server.State.Step}, {server.State.QueueSize} queued groups)" : string.Empty)}; Ctrl+C stops it");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }

                stdout.WriteLine($"stopped: step {server.State.Step}, {server.State.BatchesServed} batches served, {server.State.GroupsReceived} groups received");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or ArgumentException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>`atropos-env`: a synthetic environment posting seeded scored groups with seed 002's advantage patterns.</summary>
    /// <returns>The command.</returns>
    public static Command CreateEnv()
    {
        var defaults = new SyntheticEnvironmentOptions();
        var api = new Option<string>("--api") { Description = "The Atropos server.", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var groups = new Option<int>("--groups") { Description = "Groups to post.", DefaultValueFactory = _ => defaults.Groups };
        var groupSize = new Option<int>("--group-size") { Description = "Sequences per group.", DefaultValueFactory = _ => defaults.GroupSize };
        var prompt = new Option<int>("--prompt-length") { Description = "Prompt tokens.", DefaultValueFactory = _ => defaults.PromptLength };
        var completion = new Option<int>("--completion-length") { Description = "Longest completion.", DefaultValueFactory = _ => defaults.CompletionLength };
        var vocab = new Option<int>("--vocab-size") { Description = "Token ids are below this (use the model's vocabulary).", DefaultValueFactory = _ => defaults.VocabSize };
        var patterns = new Option<string>("--patterns") { Description = "Comma-separated advantage patterns used in turn: uniform_positive, increasing, end_weighted, sparse_positive, alternating; 'none' sends scores only.", DefaultValueFactory = _ => "uniform_positive,increasing,end_weighted,sparse_positive,alternating" };
        var seed = new Option<int>("--seed") { Description = "Seed of the groups.", DefaultValueFactory = _ => defaults.Seed };
        var maxQueue = new Option<int?>("--max-queue") { Description = "Wait while the server holds this many queued groups." };
        var name = new Option<string>("--name") { Description = "The environment's name.", DefaultValueFactory = _ => defaults.Name };
        var command = new Command("atropos-env", "Run a synthetic Atropos environment: register with the server, then post seeded scored groups (a copy task; token advantages from seed 002's patterns).");
        foreach (var o in new Option[] { api, groups, groupSize, prompt, completion, vocab, patterns, seed, maxQueue, name }) command.Options.Add(o);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            try
            {
                var env = new SyntheticEnvironment(defaults with
                {
                    Name = parseResult.GetValue(name)!,
                    Groups = parseResult.GetValue(groups),
                    GroupSize = parseResult.GetValue(groupSize),
                    PromptLength = parseResult.GetValue(prompt),
                    CompletionLength = parseResult.GetValue(completion),
                    VocabSize = parseResult.GetValue(vocab),
                    Patterns = ParsePatterns(parseResult.GetValue(patterns)!),
                    Seed = parseResult.GetValue(seed),
                    MaxQueuedGroups = parseResult.GetValue(maxQueue),
                });
                using var client = new AtroposClient(ParseApi(parseResult.GetValue(api)!));
                await env.RunAsync(client, log: stdout, cancellationToken: cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is AtroposException or ArgumentException or FormatException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>`atropos-train`: trains a model folder (full or LoRA) on batches from an Atropos server.</summary>
    /// <returns>The command.</returns>
    public static Command CreateTrain()
    {
        var defaults = new TrainerOptions();
        var clientDefaults = new AtroposClientOptions();
        var api = new Option<string>("--api") { Description = "The Atropos server.", DefaultValueFactory = _ => "http://127.0.0.1:8000" };
        var steps = new Option<int>("--steps") { Description = "Batches to train (optimizer steps; registered as num_steps).", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per batch (registered as batch_size).", Required = true };
        var maxLen = new Option<int>("--max-token-len") { Description = "Longest sequence accepted (registered as max_token_len).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run directory: metrics.jsonl, checkpoints/, atropos/, model/.", Required = true };
        var objective = new Option<string>("--objective") { Description = "weighted-sft (advantage-weighted SFT, seed 002) or grpo (clipped importance-weighted policy gradient with optional KL).", DefaultValueFactory = _ => "weighted-sft" };
        var grpoDefaults = new GrpoLossOptions();
        var klBeta = new Option<double>("--kl-beta") { Description = "GRPO: weight of the KL term to the reference (the LoRA base with adapters disabled, or the groups' ref_logprobs).", DefaultValueFactory = _ => grpoDefaults.KlBeta };
        var klEstimator = new Option<string>("--kl-estimator") { Description = "GRPO: k1 | k2 | k3.", DefaultValueFactory = _ => grpoDefaults.KlEstimator.ToString().ToLowerInvariant() };
        var epsLow = new Option<double>("--epsilon-low") { Description = "GRPO: lower clip of the ratio (1 - eps_low).", DefaultValueFactory = _ => grpoDefaults.EpsilonLow };
        var epsHigh = new Option<double>("--epsilon-high") { Description = "GRPO: upper clip of the ratio (1 + eps_high).", DefaultValueFactory = _ => grpoDefaults.EpsilonHigh };
        var dualClip = new Option<double?>("--dual-clip") { Description = "GRPO: dual-clip constant c > 1 for negative advantages (off by default)." };
        var isLevel = new Option<string>("--importance-sampling") { Description = "GRPO: token | sequence level importance ratio.", DefaultValueFactory = _ => "token" };
        var grpoAggregation = new Option<string>("--grpo-aggregation") { Description = "GRPO: grpo | bnpo | dr_grpo | dapo.", DefaultValueFactory = _ => "grpo" };
        var maskTruncated = new Option<bool>("--mask-truncated-completions") { Description = "GRPO: leave truncated completions out of the loss." };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue from a checkpoint (or a run directory: its newest)." };
        var accumulation = new Option<int>("--accumulation") { Description = "Micro-batches each batch is split into.", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup") { Description = "Warmup steps.", DefaultValueFactory = _ => 0 };
        var checkpointInterval = new Option<int>("--checkpoint-interval") { Description = "Checkpoint every N steps (0 = only at the end).", DefaultValueFactory = _ => 10 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of adapters and dropout.", DefaultValueFactory = _ => defaults.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };
        var aggregation = new Option<string>("--aggregation") { Description = "Weighted SFT: token-mean | seq-mean-token-mean | seq-mean-token-sum | seq-mean-token-sum-norm.", DefaultValueFactory = _ => defaults.Loss.Aggregation.ToName() };
        var advNorm = new Option<string>("--advantage-normalization") { Description = "Weighted SFT: none | batch | sequence.", DefaultValueFactory = _ => "none" };
        var temperature = new Option<double>("--temperature") { Description = "Weighted SFT: logits are divided by this.", DefaultValueFactory = _ => 1.0 };
        var scoreNorm = new Option<string>("--score-normalization") { Description = "Groups without token advantages: group ((s - mean) / std within the group) | none (raw scores).", DefaultValueFactory = _ => "group" };
        var padId = new Option<long>("--pad-id") { Description = "Input id of padding.", DefaultValueFactory = _ => 0 };
        var padMultiple = new Option<int>("--pad-multiple") { Description = "Round the padded length up to a multiple of this.", DefaultValueFactory = _ => 1 };
        var truncate = new Option<bool>("--truncate") { Description = "Cut sequences longer than --max-token-len (marked truncated) instead of failing." };
        var retries = new Option<int>("--retries") { Description = "Retries of transient HTTP failures per request.", DefaultValueFactory = _ => clientDefaults.MaxRetries };
        var pollMax = new Option<double>("--poll-max-delay") { Description = "Longest wait in seconds between polls for a batch.", DefaultValueFactory = _ => clientDefaults.PollMaxDelay.TotalSeconds };
        var keepBatches = new Option<bool>("--keep-batches") { Description = "Keep every trained batch under atropos/batches/ (default: deleted once in a checkpoint)." };
        var pretrained = new PretrainedTrainArguments();
        var command = new Command("atropos-train", "Train a Hugging Face model folder (full or LoRA) on batches from an Atropos API server: register, poll, train, checkpoint, resume exactly.");
        foreach (var o in new Option[] { api, steps, batch, maxLen, output, objective, resume, accumulation, lr, warmup, checkpointInterval, seed, device, aggregation, advNorm, temperature, scoreNorm, padId, padMultiple, truncate, retries, pollMax, keepBatches,
            klBeta, klEstimator, epsLow, epsHigh, dualClip, isLevel, grpoAggregation, maskTruncated })
            command.Options.Add(o);
        pretrained.AddTo(command);
        pretrained.Model.Required = true;
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                var objectiveName = parseResult.GetValue(objective)!;
                if (objectiveName is not ("weighted-sft" or "grpo"))
                    throw new ArgumentException($"--objective '{objectiveName}' is not one of weighted-sft, grpo.");
                var grpo = objectiveName != "grpo" ? null : grpoDefaults with
                {
                    KlBeta = parseResult.GetValue(klBeta),
                    KlEstimator = ParseEnum<KlEstimator>(parseResult.GetValue(klEstimator)!, "--kl-estimator"),
                    EpsilonLow = parseResult.GetValue(epsLow),
                    EpsilonHigh = parseResult.GetValue(epsHigh),
                    DualClip = parseResult.GetValue(dualClip),
                    ImportanceSampling = ParseEnum<ImportanceSamplingLevel>(parseResult.GetValue(isLevel)!, "--importance-sampling"),
                    Aggregation = ParseEnum<GrpoAggregation>(parseResult.GetValue(grpoAggregation)!, "--grpo-aggregation"),
                    MaskTruncatedCompletions = parseResult.GetValue(maskTruncated),
                    MaxCompletionLength = parseResult.GetValue(maxLen),
                };
                grpo?.Validate();
                var run = parseResult.GetValue(output)!.FullName;
                var dev = parseResult.GetValue(device)!.Trim().ToLowerInvariant() == "auto" ? Device.Auto : Device.Parse(parseResult.GetValue(device)!);
                var seedValue = parseResult.GetValue(seed);
                TorchOps.ManualSeed(seedValue);
                var training = defaults with
                {
                    MaxSteps = parseResult.GetValue(steps),
                    BatchSize = parseResult.GetValue(batch),
                    GradientAccumulationSteps = parseResult.GetValue(accumulation),
                    LearningRate = parseResult.GetValue(lr),
                    WarmupSteps = parseResult.GetValue(warmup),
                    CheckpointInterval = parseResult.GetValue(checkpointInterval),
                    Seed = seedValue,
                    Device = dev,
                    OutputDirectory = run,
                    HardExamples = null,
                    Loss = defaults.Loss with
                    {
                        Aggregation = LossAggregationNames.Parse(parseResult.GetValue(aggregation)!),
                        AdvantageNormalization = ParseEnum<AdvantageNormalization>(parseResult.GetValue(advNorm)!, "--advantage-normalization"),
                        Temperature = parseResult.GetValue(temperature),
                    },
                };
                var options = new AtroposTrainerOptions
                {
                    Training = training,
                    MaxTokenLength = parseResult.GetValue(maxLen),
                    ObjectiveName = objectiveName,
                    Objective = grpo is null ? null : policy => new GrpoObjective(policy, grpo),
                    KeepTrainedBatches = parseResult.GetValue(keepBatches),
                    Processor = new AtroposProcessorOptions
                    {
                        PadId = parseResult.GetValue(padId),
                        PadToMultiple = parseResult.GetValue(padMultiple),
                        TruncateLongSequences = parseResult.GetValue(truncate),
                        ScoreNormalization = ParseEnum<AtroposScoreNormalization>(parseResult.GetValue(scoreNorm)!, "--score-normalization"),
                    },
                };
                using var model = pretrained.LoadForTraining(parseResult, dev, seedValue, stdout);
                using var client = new AtroposClient(ParseApi(parseResult.GetValue(api)!), clientDefaults with
                {
                    MaxRetries = parseResult.GetValue(retries),
                    PollMaxDelay = TimeSpan.FromSeconds(Math.Max(parseResult.GetValue(pollMax), clientDefaults.PollInitialDelay.TotalSeconds)),
                });
                client.Retrying += (route, attempt, delay, what) => stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {route}: {what}; retry {attempt} in {delay.TotalSeconds:F2} s"));
                using var trainer = new AtroposTrainer(model, client, options, stdout);
                if (parseResult.GetValue(resume) is { } from)
                {
                    var state = trainer.LoadCheckpoint(from.FullName);
                    stdout.WriteLine($"resumed at step {state.Step} (server step then {state.ServerStep?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
                }

                var records = await trainer.RunAsync(cancellationToken: cancellationToken);
                var saved = Path.Combine(run, "model");
                model.Save(saved);
                if (model is not LoraCausalLm) PretrainedModelWriter.CopyTokenizerFiles(parseResult.GetValue(pretrained.Model)!, saved);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(trainer.Step < trainer.MaxSteps ? "stopped" : "done")}: step {trainer.Step}/{trainer.MaxSteps}{(records.Count > 0 ? $", loss {records[^1].Metrics.Loss:F4}" : string.Empty)}, {client.Retries} retries, {trainer.Reregistrations} re-registrations"));
                stdout.WriteLine($"saved: {saved} ({(model is LoraCausalLm ? "peft adapter" : "Hugging Face folder")}); run directory: {run} (metrics.jsonl, atropos/consumed.jsonl, checkpoints/)");
                return trainer.Step < trainer.MaxSteps ? 130 : 0;
            }
            catch (Exception e) when (e is AtroposException or InvalidDataException or IOException or ArgumentException or FormatException or TimeoutException
                or InvalidOperationException or TorchException or ModelConfigException or NotSupportedException or MaskedSft.Torch.Safetensors.SafetensorsFormatException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Uri ParseApi(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new FormatException($"--api '{text}' is not an absolute address. Hint: e.g. http://127.0.0.1:8000.");

    private static IReadOnlyList<AdvantagePattern> ParsePatterns(string text)
    {
        if (text.Trim() == "none") return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => ParseEnum<AdvantagePattern>(p, "--patterns")).ToList();
    }

    /// <summary>Parses snake_case or kebab-case names of an enum (e.g. end_weighted, seq-mean).</summary>
    private static T ParseEnum<T>(string text, string option) where T : struct, Enum
    {
        var compact = text.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<T>(compact, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new FormatException($"{option} '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }
}
