// The `train --model DIR` options (LoRA, dtype, gradient checkpointing) and the run they describe: fine-tune a model folder.
using System.CommandLine;
using System.Globalization;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.Cli.Commands;

/// <summary>--model, --dtype, --gradient-checkpointing and the --lora-* options of `train`, and the fine-tuning run of a
/// Hugging Face model folder they select (full, or LoRA when --lora-rank is given).</summary>
internal sealed class PretrainedTrainArguments
{
    /// <summary>The peft target modules used when --lora-targets is not given.</summary>
    public const string DefaultTargets = "q_proj,k_proj,v_proj,o_proj";

    /// <summary>The model folder to fine-tune.</summary>
    public Option<string?> Model { get; } = new("--model") { Description = "Fine-tune a Hugging Face model folder (Llama, Qwen2, Qwen3) instead of a tiny GPT; the dataset must be prepared with `prepare --tokenizer` on the same folder." };

    /// <summary>The compute dtype.</summary>
    public Option<string?> DType { get; } = new("--dtype") { Description = "With --model: compute dtype float32, bfloat16 or float16 (default: float32 on the CPU, bfloat16 on CUDA; with --precision auto or bf16-masters on CUDA the loaded weights become the float32 masters, so float32 keeps float32 files exact; with bf16-autocast, float32 weights train under bf16 autocast)." };

    /// <summary>Gradient checkpointing per decoder block.</summary>
    public Option<bool> GradientCheckpointing { get; } = new("--gradient-checkpointing") { Description = "Recompute each transformer block in the backward pass (less activation memory, about a third more compute)." };

    /// <summary>LoRA rank; LoRA is on when given.</summary>
    public Option<int?> LoraRank { get; } = new("--lora-rank") { Description = "With --model: train LoRA adapters of this rank (base frozen) and save a peft adapter; without it the whole model trains." };

    /// <summary>LoRA alpha.</summary>
    public Option<double?> LoraAlpha { get; } = new("--lora-alpha") { Description = "LoRA alpha (scale alpha/rank; default: 2 x rank)." };

    /// <summary>LoRA target modules.</summary>
    public Option<string> LoraTargets { get; } = new("--lora-targets") { Description = "Comma-separated peft module names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) or all-linear.", DefaultValueFactory = _ => DefaultTargets };

    /// <summary>LoRA dropout.</summary>
    public Option<double> LoraDropout { get; } = new("--lora-dropout") { Description = "Dropout on the adapters' input.", DefaultValueFactory = _ => 0.0 };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    /// <param name="command">The command.</param>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Model, DType, GradientCheckpointing, LoraRank, LoraAlpha, LoraTargets, LoraDropout }) command.Options.Add(o);
    }

    /// <summary>Fine-tunes the model folder on the dataset and saves the result under <c>RUN/model</c>: a Hugging Face
    /// folder with the source's tokenizer files (full) or a peft adapter folder (LoRA).</summary>
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="dataDirectory">The episode dataset.</param>
    /// <param name="options">The trainer options (output directory set).</param>
    /// <param name="device">The device.</param>
    /// <param name="resume">A checkpoint or run directory to continue from, or null.</param>
    /// <param name="stdout">Progress.</param>
    /// <param name="stderr">Errors.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>The exit code.</returns>
    public int Run(ParseResult parseResult, string dataDirectory, TrainerOptions options, Device device, string? resume, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var folder = parseResult.GetValue(Model)!;
        using var dataset = EpisodeDataset.Open(dataDirectory);
        var tokenizer = ModelFolderTokenizer.Load(folder).Tokenizer;
        if (dataset.Header.Tokenizer?.Fingerprint is not { Length: > 0 } recorded)
        {
            stderr.WriteLine($"error: {dataset.DirectoryPath} records no tokenizer fingerprint, so it cannot be checked against {folder}. Hint: prepare it with `maskedsft prepare --tokenizer {folder} ...`.");
            return 2;
        }

        if (!string.Equals(recorded, tokenizer.Fingerprint, StringComparison.Ordinal))
        {
            stderr.WriteLine($"error: {dataset.DirectoryPath} was tokenized with {dataset.Header.Tokenizer.Name} ({recorded}), not with the tokenizer of {folder} ({tokenizer.Fingerprint}); the token ids would mean other tokens. Hint: prepare the data again with `maskedsft prepare --tokenizer {folder} ...`.");
            return 2;
        }

        var trained = LoadForTraining(parseResult, device, options.Seed, stdout);
        try
        {
            var lora = trained as LoraCausalLm;
            stdout.WriteLine($"data: {dataset.DirectoryPath} ({dataset.Header.TrainEpisodeCount:N0} train / {dataset.Header.ValidationEpisodeCount:N0} validation episodes)");
            using var trainer = new Trainer(trained, dataset, options with { Device = device, HardExampleDecoder = options.HardExamples is null ? null : tokenizer }, stdout);
            if (resume is not null)
            {
                var checkpoint = Trainer.ResolveCheckpoint(resume);
                stdout.WriteLine($"resuming from {checkpoint}");
                trainer.LoadCheckpoint(checkpoint);
            }

            var result = trainer.Run(cancellationToken);
            var run = options.OutputDirectory!;
            var saved = Path.Combine(run, "model");
            using (trainer.UseMasterWeights()) trained.Save(saved); // --precision bf16-masters: the float32 masters
            if (lora is null) PretrainedModelWriter.CopyTokenizerFiles(folder, saved);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(result.Cancelled ? "cancelled" : "done")}: step {result.Step}/{result.MaxSteps}, loss {result.FinalLoss:F4}{(result.FinalValidationLoss is { } v ? $", validation loss {v:F4}" : string.Empty)}, {result.Elapsed.TotalSeconds:F1} s"));
            stdout.WriteLine(lora is null
                ? $"saved: {saved} (Hugging Face folder: config.json, safetensors, generation_config.json, tokenizer files)"
                : $"saved: {saved} (peft adapter; use it with --model {folder} --adapter {saved})");
            stdout.WriteLine($"report: {result.ReportPath}");
            return result.Cancelled ? 130 : 0;
        }
        finally
        {
            trained.Dispose();
        }
    }

    /// <summary>Loads the --model folder for training on <paramref name="device"/>, with gradient checkpointing when asked,
    /// wrapped in fresh LoRA adapters when --lora-rank is given, and prints what it loaded.</summary>
    /// <param name="parseResult">The parsed command line.</param>
    /// <param name="device">The device.</param>
    /// <param name="seed">The adapters' initialization seed.</param>
    /// <param name="stdout">Where the model line is printed.</param>
    /// <returns>The model to train (the caller disposes it; a LoRA model owns its base).</returns>
    public ICausalLm LoadForTraining(ParseResult parseResult, Device device, ulong seed, TextWriter stdout)
    {
        var folder = parseResult.GetValue(Model)!;
        var model = PretrainedModelLoader.Load(folder, new PretrainedModelOptions { Device = device, DType = ParseDType(parseResult.GetValue(DType)) });
        try
        {
            model.GradientCheckpointing = parseResult.GetValue(GradientCheckpointing);
            ICausalLm trained = model;
            if (parseResult.GetValue(LoraRank) is { } r)
            {
                var config = new LoraConfig
                {
                    TargetModules = ParseTargets(parseResult.GetValue(LoraTargets)!),
                    Rank = r,
                    Alpha = parseResult.GetValue(LoraAlpha) ?? 2.0 * r,
                    Dropout = parseResult.GetValue(LoraDropout),
                    BaseModelNameOrPath = folder,
                };
                trained = LoraCausalLm.Create(model, config, seed);
            }

            var lora = trained as LoraCausalLm;
            stdout.WriteLine($"model: {CausalLmDescription.Of(model)}{(lora is null ? ", full fine-tuning" : $", LoRA r={lora.Adapters.Config.Rank} alpha={lora.Adapters.Config.Alpha.ToString(CultureInfo.InvariantCulture)} on {lora.Adapters.Layers.Count} layers ({lora.Adapters.ParameterCount:N0} trainable)")}{(model.GradientCheckpointing ? ", gradient checkpointing" : string.Empty)}");
            return trained;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Parses --dtype.</summary>
    /// <param name="name">The name, or null.</param>
    /// <returns>The dtype, or null for the device's default.</returns>
    /// <exception cref="FormatException">The name is not float32, bfloat16 or float16.</exception>
    internal static ScalarType? ParseDType(string? name)
    {
        if (name is null) return null;
        return TorchDTypeNames.TryParse(name, out var parsed) && parsed != ScalarType.Float64
            ? parsed
            : throw new FormatException($"--dtype '{name}' is not float32, bfloat16 or float16.");
    }

    private static ModuleSelector ParseTargets(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new ArgumentException("--lora-targets names no module. Hint: e.g. --lora-targets q_proj,v_proj.");
        return names is ["all-linear"] ? ModuleSelector.AllLinear : ModuleSelector.FromNames(names);
    }
}
