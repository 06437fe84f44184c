// The body of POST /register-env and the server's answer: an environment announces itself and gets an id.
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>An environment's registration (the archived Atropos server's <c>RegisterEnv</c> model).</summary>
public sealed record AtroposEnvRegistration
{
    /// <summary>The longest sequence the environment produces.</summary>
    [JsonPropertyName("max_token_length")]
    public required int MaxTokenLength { get; init; }

    /// <summary>The name asked for; the server appends <c>_N</c> (N = environments of that name before it).</summary>
    [JsonPropertyName("desired_name")]
    public required string DesiredName { get; init; }

    /// <summary>The environment's share weight.</summary>
    [JsonPropertyName("weight")]
    public double Weight { get; init; } = 1.0;

    /// <summary>Sequences per group; groups of another size are buffered until some sum to it.</summary>
    [JsonPropertyName("group_size")]
    public required int GroupSize { get; init; }

    /// <summary>The smallest share of a batch reserved for this environment (0..1); null for none.</summary>
    [JsonPropertyName("min_batch_allocation")]
    public double? MinBatchAllocation { get; init; }
}

/// <summary>The server's answer to POST /register-env.</summary>
/// <param name="Status"><c>success</c>, or <c>wait for trainer to start</c> before the trainer's first GET /batch.</param>
/// <param name="EnvId">The environment's id (on success).</param>
/// <param name="WandbName">The unique name given (on success).</param>
/// <param name="CheckpointDirectory">The trainer's checkpoint folder (on success).</param>
/// <param name="StartingStep">The server's step when the environment registered (on success).</param>
/// <param name="CheckpointInterval">The trainer's checkpoint interval (on success).</param>
/// <param name="NumSteps">The trainer's planned steps (on success).</param>
public sealed record AtroposEnvRegistrationResult(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("env_id")] int? EnvId = null,
    [property: JsonPropertyName("wandb_name")] string? WandbName = null,
    [property: JsonPropertyName("checkpoint_dir")] string? CheckpointDirectory = null,
    [property: JsonPropertyName("starting_step")] int? StartingStep = null,
    [property: JsonPropertyName("checkpoint_interval")] int? CheckpointInterval = null,
    [property: JsonPropertyName("num_steps")] int? NumSteps = null)
{
    /// <summary>The status string of a successful registration.</summary>
    public const string Success = "success";

    /// <summary>The status string the server answers before the trainer's first GET /batch.</summary>
    public const string WaitForTrainer = "wait for trainer to start";

    /// <summary>True when the environment got an id.</summary>
    [JsonIgnore]
    public bool Registered => Status == Success && EnvId is not null;
}
