// The body of POST /register: what a trainer tells the Atropos server about its run (the first registration wins).
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>A trainer's registration (the archived Atropos server's <c>Registration</c> model). The first registration a
/// server receives sets its batch size, maximum token length, step counter and checkpoint settings; later ones only add a
/// requester and get a new uuid.</summary>
public sealed record AtroposRegistration
{
    /// <summary>The Weights &amp; Biases group the environments log to (an empty string when unused).</summary>
    [JsonPropertyName("wandb_group")]
    public string WandbGroup { get; init; } = "";

    /// <summary>The Weights &amp; Biases project (an empty string when unused).</summary>
    [JsonPropertyName("wandb_project")]
    public string WandbProject { get; init; } = "";

    /// <summary>Sequences per batch: every batch the server hands out has exactly this many sequences.</summary>
    [JsonPropertyName("batch_size")]
    public required int BatchSize { get; init; }

    /// <summary>The longest sequence (in tokens) the trainer accepts; environments read it to size their rollouts.</summary>
    [JsonPropertyName("max_token_len")]
    public required int MaxTokenLength { get; init; }

    /// <summary>Where the trainer writes checkpoints (told to environments).</summary>
    [JsonPropertyName("checkpoint_dir")]
    public string CheckpointDirectory { get; init; } = "";

    /// <summary>Steps between checkpoints (told to environments).</summary>
    [JsonPropertyName("save_checkpoint_interval")]
    public int SaveCheckpointInterval { get; init; }

    /// <summary>The server's step counter starts here (a resumed trainer passes its completed steps).</summary>
    [JsonPropertyName("starting_step")]
    public int StartingStep { get; init; }

    /// <summary>The planned number of training steps.</summary>
    [JsonPropertyName("num_steps")]
    public required int NumSteps { get; init; }
}
