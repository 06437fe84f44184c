// atropos.json of an Atropos trainer checkpoint: steps, the server's step counter, what was consumed, the RNG state.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>The Atropos trainer's part of a checkpoint folder (<c>atropos.json</c>, beside the model or adapter files and
/// <c>optimizer.safetensors</c>).</summary>
public sealed record AtroposRunState
{
    /// <summary>The file name.</summary>
    public const string FileName = "atropos.json";

    /// <summary>The format name.</summary>
    public const string FormatName = "MaskedSft.AtroposCheckpoint";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>Completed optimizer steps = Atropos batches trained.</summary>
    public long Step { get; init; }

    /// <summary>The planned steps.</summary>
    public long MaxSteps { get; init; }

    /// <summary>The objective's name.</summary>
    public string Objective { get; init; } = "";

    /// <summary>The model's architecture (with <c>+lora</c> for an adapter).</summary>
    public string Architecture { get; init; } = "";

    /// <summary>The uuid the server gave at the last registration (a decimal 128-bit integer).</summary>
    public string? Uuid { get; init; }

    /// <summary>The server's step counter (GET /status) when the checkpoint was written; null when it could not be read.</summary>
    public long? ServerStep { get; init; }

    /// <summary>The server's queue length then.</summary>
    public int? ServerQueueSize { get; init; }

    /// <summary>Batches consumed from the server and trained (equals <see cref="Step"/>).</summary>
    public long BatchesConsumed { get; init; }

    /// <summary>Sequences trained in all.</summary>
    public long SequencesConsumed { get; init; }

    /// <summary>The chained SHA-256 of every trained batch in order (hex): a resumed run must extend the same chain.</summary>
    public string ConsumedDigest { get; init; } = "";

    /// <summary>The CPU default generator's state (base64).</summary>
    public string CpuRngState { get; init; } = "";

    /// <summary>When it was written (UTC, ISO 8601).</summary>
    public string CreatedUtc { get; init; } = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Serializes to JSON.</summary>
    /// <returns>The text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads the state of a checkpoint folder.</summary>
    /// <param name="folder">The folder.</param>
    /// <returns>The state.</returns>
    /// <exception cref="InvalidDataException">The file is missing or not an Atropos checkpoint state.</exception>
    public static AtroposRunState Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new InvalidDataException($"{path} does not exist. Hint: pass a checkpoint folder written by `maskedsft atropos-train` (RUN/checkpoints/step-NNNNNNNN) or its run folder.");
        try
        {
            var state = JsonSerializer.Deserialize<AtroposRunState>(File.ReadAllText(path), Json);
            return state is { Format: FormatName } ? state : throw new InvalidDataException($"{path}: format '{state?.Format}', expected '{FormatName}'.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an Atropos checkpoint state ({e.Message}).", e);
        }
    }
}
