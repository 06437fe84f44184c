// trainer.json of a checkpoint: step, scheduler, loader state, RNG state, model architecture, optimizer settings, file list.
using System.Text.Json;
using System.Text.Json.Serialization;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// The metadata file (<c>trainer.json</c>) of a checkpoint folder, written last inside the temporary folder. Beside it the
/// folder holds the model as <see cref="ICausalLm.Save"/> writes it (<c>model.safetensors</c>, parameter names; the tiny
/// GPT keeps its configuration in the file's metadata), <c>optimizer.safetensors</c> (AdamW's per-parameter
/// <c>{name}.step</c>, <c>{name}.exp_avg</c>, <c>{name}.exp_avg_sq</c>) and, when hard examples are tracked,
/// <c>hard_examples.json</c> (the tracker's state).
/// </summary>
public sealed record CheckpointMetadata
{
    /// <summary>The format name written in every file.</summary>
    public const string FormatName = "MaskedSft.TrainerCheckpoint";

    /// <summary>The current format version.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The file name of the metadata.</summary>
    public const string FileName = "trainer.json";

    /// <summary>The weights file name.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>The optimizer-state file name.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN metrics (e.g. a threshold before any loss)
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The format version (1).</summary>
    public int Version { get; init; } = CurrentVersion;

    /// <summary>Completed optimizer steps (the next step has this 0-based index).</summary>
    public long Step { get; init; }

    /// <summary>The planned number of steps of the run.</summary>
    public long MaxSteps { get; init; }

    /// <summary>The learning-rate schedule: its step equals <see cref="Step"/>.</summary>
    public required SchedulerState Scheduler { get; init; }

    /// <summary>Where the training loader stands (the next batch).</summary>
    public required LoaderState Loader { get; init; }

    /// <summary>State of the CPU default generator (dropout), base64 of libtorch's state bytes.</summary>
    public required string CpuRngState { get; init; }

    /// <summary>State of the CUDA default generator of the training device (dropout on the GPU), base64; null on the CPU.</summary>
    public string? CudaRngState { get; init; }

    /// <summary>The model's <see cref="ICausalLm.Architecture"/> (files written before this field existed hold a tiny GPT);
    /// its configuration travels with its weights.</summary>
    public string Architecture { get; init; } = TinyGpt.ArchitectureName;

    /// <summary>Optimizer kind and settings.</summary>
    public required OptimizerSettings Optimizer { get; init; }

    /// <summary>The training dataset's directory when the run started.</summary>
    public string? DatasetPath { get; init; }

    /// <summary>Metrics of the last step, if any was logged.</summary>
    public StepMetrics? LastMetrics { get; init; }

    /// <summary>The hard-example tracker's state file in the folder (<c>hard_examples.json</c>); null when tracking was off.</summary>
    public string? HardExamplesFile { get; init; }

    /// <summary>When the checkpoint was written (UTC, ISO 8601).</summary>
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Serializes to indented JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the metadata of a checkpoint folder.</summary>
    /// <param name="checkpointDirectory">A step-NNNNNNNN folder.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpointDirectory"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file is missing, not JSON, of another format, or of a newer version; the message names the file.</exception>
    public static CheckpointMetadata Read(string checkpointDirectory)
    {
        ArgumentNullException.ThrowIfNull(checkpointDirectory);
        var path = Path.Combine(checkpointDirectory, FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"{path} does not exist. Hint: pass a checkpoint folder (RUN/checkpoints/step-NNNNNNNN) written by the trainer.");
        CheckpointMetadata? meta;
        try
        {
            meta = JsonSerializer.Deserialize<CheckpointMetadata>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a checkpoint metadata file ({e.Message}).", e);
        }

        if (meta is null || meta.Format != FormatName)
            throw new InvalidDataException($"{path}: format is '{meta?.Format}', expected '{FormatName}'.");
        if (meta.Version > CurrentVersion)
            throw new InvalidDataException($"{path}: format version {meta.Version} is newer than this library's {CurrentVersion}. Hint: upgrade MaskedSft.MLNet.");
        CheckFields(meta, path);
        return meta;
    }

    /// <summary>The fields a resume uses, checked before any of them is applied (a null object, a negative step, RNG
    /// state that is not base64): each error names the file and the field.</summary>
    private static void CheckFields(CheckpointMetadata meta, string path)
    {
        InvalidDataException Field(string field, string problem) =>
            new($"{path}: field '{field}' {problem}. Hint: the checkpoint was edited or damaged; resume from another step-NNNNNNNN folder.");

        if (meta.Step < 0) throw Field("step", $"is {meta.Step}; expected a non-negative number of completed steps");
        if (meta.MaxSteps < 0) throw Field("maxSteps", $"is {meta.MaxSteps}; expected a non-negative number of steps");
        if (meta.Scheduler is null) throw Field("scheduler", "is null");
        if (meta.Loader is null) throw Field("loader", "is null");
        if (meta.Optimizer is null) throw Field("optimizer", "is null");
        if (meta.Architecture is null) throw Field("architecture", "is null");
        if (meta.Scheduler.Step != meta.Step) throw Field("scheduler.step", $"is {meta.Scheduler.Step} but step is {meta.Step}");
        if (!IsBase64(meta.CpuRngState)) throw Field("cpuRngState", "is not base64 text");
        if (meta.CudaRngState is { } cuda && !IsBase64(cuda)) throw Field("cudaRngState", "is not base64 text");
    }

    private static bool IsBase64(string? text)
    {
        if (text is null) return false;
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}

/// <summary>The learning-rate schedule as saved in a checkpoint.</summary>
/// <param name="Step">The next step's 0-based index (equals the completed steps).</param>
/// <param name="Peak">Peak learning rate.</param>
/// <param name="Minimum">Final learning rate.</param>
/// <param name="WarmupSteps">Warmup steps.</param>
/// <param name="TotalSteps">Steps of the decay.</param>
public sealed record SchedulerState(long Step, double Peak, double Minimum, int WarmupSteps, int TotalSteps);

/// <summary>Optimizer settings as saved in a checkpoint.</summary>
/// <param name="Kind">"adamw".</param>
/// <param name="Beta1">Beta1.</param>
/// <param name="Beta2">Beta2.</param>
/// <param name="Epsilon">Epsilon.</param>
/// <param name="WeightDecay">Weight decay of matrices and embeddings.</param>
/// <param name="ParametersWithState">How many parameters have moments in optimizer.safetensors.</param>
public sealed record OptimizerSettings(string Kind, double Beta1, double Beta2, double Epsilon, double WeightDecay, int ParametersWithState);
