// `maskedsft train --data DIR --out RUN [--model HF_DIR [--lora-rank R ...]] [--resume CHECKPOINT]`: loss-masked SFT of a tiny GPT or a model folder.
using System.CommandLine;
using System.Globalization;
using MaskedSft.Cli.Terminal;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;
using MaskedSft.Torch.Optim;
using Microsoft.ML;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `train` command.</summary>
internal static class TrainCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var defaults = new LossMaskedSftTrainer.Options(); // TrainerOptions' defaults (documented there) and the preset's
        var hardDefaults = defaults.HardExamples ?? new HardExampleTrackerOptions();
        var data = new Option<DirectoryInfo>("--data") { Description = "Episode dataset directory (see `maskedsft dataset info`).", Required = true };
        var preset = new Option<string>("--preset") { Description = "Model preset: tiny (2x64), small (3x128) or medium (6x384).", DefaultValueFactory = _ => defaults.Preset };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => defaults.MaxSteps };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run directory: metrics.jsonl, checkpoints/, model/.", Required = true };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue from a checkpoint folder (or a run directory: its newest checkpoint)." };
        var batch = new Option<int>("--batch-size") { Description = "Rows per micro-batch.", DefaultValueFactory = _ => defaults.BatchSize };
        var accumulation = new Option<int>("--accumulation") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => defaults.GradientAccumulationSteps };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (warmup, then cosine to a tenth).", DefaultValueFactory = _ => defaults.LearningRate };
        var warmup = new Option<int>("--warmup") { Description = "Warmup steps.", DefaultValueFactory = _ => defaults.WarmupSteps };
        var logInterval = new Option<int>("--log-interval") { Description = "Progress and metrics every N steps.", DefaultValueFactory = _ => defaults.LogInterval };
        var evalInterval = new Option<int>("--eval-interval") { Description = "Validation loss every N steps (0 = only at the end).", DefaultValueFactory = _ => defaults.EvalInterval };
        var checkpointInterval = new Option<int>("--checkpoint-interval") { Description = "Checkpoint every N steps (0 = only at the end).", DefaultValueFactory = _ => defaults.CheckpointInterval };
        var aggregation = new Option<string>("--aggregation") { Description = "token-mean | seq-mean-token-mean | seq-mean-token-sum | seq-mean-token-sum-norm.", DefaultValueFactory = _ => defaults.Loss.Aggregation.ToName() };
        var noMask = new Option<bool>("--no-mask") { Description = "Train on every target (ignore the loss mask), for comparison." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, data order and dropout.", DefaultValueFactory = _ => defaults.Seed };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: libtorch's choice)." };
        var packing = new Option<bool>("--packing") { Description = "Pack several episodes into each row (attention and loss stay inside each episode; positions restart per episode). Turns hard-example tracking off." };
        var noHard = new Option<bool>("--no-hard-examples") { Description = "Turn hard-example tracking off (no hard_examples.jsonl, no report section)." };
        var hardBuffer = new Option<int>("--max-hard-examples-buffer") { Description = "Hard examples kept (K): the highest-loss distinct episode windows.", DefaultValueFactory = _ => hardDefaults.Capacity };
        var hardInterval = new Option<int>("--hard-example-log-interval") { Description = "Steps between hard-example snapshots (hard_examples.jsonl and the log).", DefaultValueFactory = _ => hardDefaults.LogInterval };
        var distTimeout = new Option<double>("--dist-timeout") { Description = "Under `maskedsft launch` (WORLD_SIZE > 1): seconds the rendezvous and each collective may wait for the other ranks.", DefaultValueFactory = _ => 600 };
        distTimeout.Validators.Add(r =>
        {
            if (!(r.GetValueOrDefault<double>() > 0)) r.AddError("--dist-timeout must be a positive number of seconds.");
        });
        var blockSize = new Option<int?>("--block-size") { Description = "Positions per row T (default: the model's maximum sequence length; a pretrained model's is thousands, so set it near the dataset's longest episode)." };
        blockSize.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is <= 0) r.AddError("--block-size must be a positive number of positions.");
        });
        var precision = new Option<string>("--precision") { Description = "auto (bf16-masters on CUDA, fp32 on the CPU), fp32, bf16-autocast (bfloat16 matrix products under autocast, float32 weights and AdamW state), bf16-masters (alias masters: a bfloat16 model and bfloat16 compute, float32 master weights, gradient accumulation and AdamW state; checkpoints and model/ hold the masters) or bf16 (pure bfloat16 weights and AdamW state).", DefaultValueFactory = _ => "auto" };
        var noTf32 = new Option<bool>("--no-tf32") { Description = "Keep float32 matrix products on CUDA in full float32 (TF32 tensor cores are on by default)." };
        var adamw = new Option<string>("--adamw") { Description = "AdamW kernels: fused (PyTorch's fused CUDA kernel on libtorch 2.1+, multi-tensor elsewhere), multi-tensor or per-tensor (libtorch's loop); the same update either way.", DefaultValueFactory = _ => "fused" };
        var tokenizer = new Option<FileSystemInfo?>("--tokenizer") { Description = "Tokenizer file or folder to show hard examples as text (default: the one recorded in the dataset, when present; else token ids)." };
        foreach (var positive in new[] { hardBuffer, hardInterval })
        {
            positive.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() <= 0) r.AddError($"{positive.Name} must be a positive number of {(positive == hardBuffer ? "entries" : "steps")}.");
            });
        }

        var pretrained = new PretrainedTrainArguments();
        var command = new Command("train", "Train a tiny GPT, or fine-tune a Hugging Face model folder (--model; full or LoRA), with loss masking (and advantage weighting when the data has advantages) on an episode dataset.");
        foreach (var o in new Option[] { data, preset, steps, output, resume, batch, accumulation, lr, warmup, logInterval, evalInterval, checkpointInterval, aggregation, noMask, packing, seed, device, threads, noHard, hardBuffer, hardInterval, tokenizer, distTimeout, blockSize, precision, noTf32, adamw })
        {
            command.Options.Add(o);
        }

        pretrained.AddTo(command);

        command.SetAction((parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                var run = parseResult.GetValue(output)!.FullName;
                var deviceChoice = ParseDevice(parseResult.GetValue(device)!);
                using var group = JoinLaunchedGroup(deviceChoice, TimeSpan.FromSeconds(parseResult.GetValue(distTimeout)));
                if (group is not null) deviceChoice = group.Device;
                var main = group?.IsMain ?? true;
                var track = !parseResult.GetValue(noHard);
                var terminal = main ? TerminalProgress.ForStandardError(stdout) : new TerminalProgress(null);
                var log = terminal.Lines(stdout);
                var stepProgress = new StepProgress();
                var options = defaults with
                {
                    Preset = parseResult.GetValue(preset)!,
                    MaxSteps = parseResult.GetValue(steps),
                    BatchSize = parseResult.GetValue(batch),
                    GradientAccumulationSteps = parseResult.GetValue(accumulation),
                    BlockSize = parseResult.GetValue(blockSize),
                    LearningRate = parseResult.GetValue(lr),
                    WarmupSteps = parseResult.GetValue(warmup),
                    LogInterval = parseResult.GetValue(logInterval),
                    EvalInterval = parseResult.GetValue(evalInterval),
                    CheckpointInterval = parseResult.GetValue(checkpointInterval),
                    Loss = defaults.Loss with { Aggregation = LossAggregationNames.Parse(parseResult.GetValue(aggregation)!) },
                    UseLossMask = !parseResult.GetValue(noMask),
                    Packing = parseResult.GetValue(packing),
                    Seed = parseResult.GetValue(seed),
                    Device = deviceChoice,
                    OutputDirectory = run,
                    ResumeFrom = parseResult.GetValue(resume)?.FullName,
                    IntraOpThreads = parseResult.GetValue(threads),
                    HardExamples = track ? hardDefaults with { Capacity = parseResult.GetValue(hardBuffer), LogInterval = parseResult.GetValue(hardInterval) } : null,
                    Log = log,
                    Progress = stepProgress,
                    ProcessGroup = group,
                    Precision = ParsePrecision(parseResult.GetValue(precision)!),
                    AllowTF32 = !parseResult.GetValue(noTf32),
                    OptimizerImplementation = ParseAdamW(parseResult.GetValue(adamw)!),
                    GradientCheckpointing = parseResult.GetValue(pretrained.GradientCheckpointing),
                };
                if (parseResult.GetValue(pretrained.Model) is not null)
                {
                    TorchOps.ManualSeed(parseResult.GetValue(seed));
                    return Task.FromResult(terminal.Run("train", options.MaxSteps, bar =>
                    {
                        stepProgress.Bar = bar;
                        return pretrained.Run(parseResult, parseResult.GetValue(data)!.FullName, options with { Seed = parseResult.GetValue(seed) },
                            deviceChoice, options.ResumeFrom, log, stderr, cancellationToken);
                    }));
                }

                var mlContext = new MLContext(seed: (int)(parseResult.GetValue(seed) % int.MaxValue));
                var train = mlContext.MaskedSft().LoadEpisodes(parseResult.GetValue(data)!.FullName);
                ITokenDecoder? decoder = null;
                if (track && parseResult.GetValue(tokenizer) is { } tokenizerPath) decoder = BpeTokenizer.Load(tokenizerPath.FullName);
                var trainer = mlContext.MaskedSft().Trainers.LossMaskedSft(options with { HardExampleDecoder = decoder });
                stdout = log;
                if (group is not null) stdout.WriteLine($"data parallel: rank {group.Rank} of {group.WorldSize} ({group.Backend}, {group.Device}); global batch {group.WorldSize * parseResult.GetValue(batch)} rows per micro-batch");
                stdout.WriteLine($"data: {train.DirectoryPath} ({train.Header.TrainEpisodeCount:N0} train / {train.Header.ValidationEpisodeCount:N0} validation episodes)");
                using var model = terminal.Run("train", options.MaxSteps, bar =>
                {
                    stepProgress.Bar = bar;
                    return trainer.Fit(train, null, cancellationToken);
                });
                var result = model.TrainingResult!;
                if (!main)
                {
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(result.Cancelled ? "cancelled" : "done")}: step {result.Step}/{result.MaxSteps}, loss {result.FinalLoss:F4} (rank 0 writes the run directory)"));
                    return Task.FromResult(result.Cancelled ? 130 : 0);
                }

                model.SaveModel(Path.Combine(run, "model"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(result.Cancelled ? "cancelled" : "done")}: step {result.Step}/{result.MaxSteps}, loss {result.FinalLoss:F4}{(result.FinalValidationLoss is { } v ? $", validation loss {v:F4}" : string.Empty)}, {result.Elapsed.TotalSeconds:F1} s"));
                if (result.HardExamples is { } hard)
                {
                    stdout.WriteLine(HardExampleListing.Summary(hard));
                    foreach (var line in HardExampleListing.Lines(hard, top: 5)) stdout.WriteLine("  " + line);
                }

                stdout.WriteLine($"report: {result.ReportPath}");
                stdout.WriteLine($"run directory: {run} (metrics.jsonl, {(result.HardExamples is null ? string.Empty : "hard_examples.jsonl, ")}report.md, checkpoints/, model/)");
                return Task.FromResult(result.Cancelled ? 130 : 0);
            }
            catch (Exception e) when (e is EpisodeDatasetException or InvalidDataException or IOException or ArgumentException or TorchException or TokenizerFormatException
                or DistributedException or InvalidOperationException
                or FormatException or MaskedSft.MLNet.Models.Pretrained.ModelConfigException or NotSupportedException or MaskedSft.Torch.Safetensors.SafetensorsFormatException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return Task.FromResult(2);
            }
        });
        return command;
    }

    /// <summary>Parses --precision.</summary>
    private static TrainingPrecision ParsePrecision(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => TrainingPrecision.Auto,
        "fp32" or "float32" => TrainingPrecision.Float32,
        "bf16-autocast" or "autocast" => TrainingPrecision.BFloat16Autocast,
        "bf16" or "bfloat16" => TrainingPrecision.BFloat16,
        "bf16-masters" or "masters" => TrainingPrecision.BFloat16Masters,
        _ => throw new FormatException($"--precision '{name}' is not auto, fp32, bf16-autocast, bf16-masters or bf16."),
    };

    /// <summary>Parses --adamw.</summary>
    private static AdamWImplementation ParseAdamW(string name) => name.Trim().ToLowerInvariant() switch
    {
        "fused" => AdamWImplementation.Fused,
        "multi-tensor" or "foreach" => AdamWImplementation.MultiTensor,
        "per-tensor" => AdamWImplementation.PerTensor,
        _ => throw new FormatException($"--adamw '{name}' is not fused, multi-tensor or per-tensor."),
    };

    /// <summary>The process group `maskedsft launch` (or torchrun) describes when WORLD_SIZE &gt; 1: Gloo on the CPU, NCCL on
    /// cuda:LOCAL_RANK when the device is CUDA; null for a single process.</summary>
    private static ProcessGroup? JoinLaunchedGroup(Device device, TimeSpan timeout)
    {
        if (!TorchrunEnvironment.IsPresent) return null;
        var options = TorchrunEnvironment.ReadOptions(device.IsCuda ? DistributedBackend.Nccl : DistributedBackend.Gloo, timeout);
        return options.WorldSize > 1 ? ProcessGroup.Create(options) : null;
    }

    private static Device ParseDevice(string text) => text.Trim().ToLowerInvariant() == "auto" ? Device.Auto : Device.Parse(text);
}
