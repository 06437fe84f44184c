// One scored group (the archived Atropos server's ScoredData): G sequences of one prompt with masks, scores and extras.
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>
/// A group of sequences an environment scored, as the Atropos API carries it (POST /scored_data, and inside GET /batch).
/// Per sequence i: <see cref="Tokens"/>[i] (prompt and completion ids), <see cref="Masks"/>[i] (the token id at positions
/// that are trained, -100 elsewhere: the labels before the causal shift), <see cref="Scores"/>[i]; optionally token-level
/// <see cref="Advantages"/>, reference and inference log-probs (aligned with the tokens; inference log-probs hold 1.0 at
/// positions that were not generated) and per-sequence <see cref="Overrides"/> (<c>set_advantage_to_zero</c>,
/// <c>temperature</c>).
/// </summary>
public sealed record AtroposScoredData
{
    /// <summary>Token ids of each sequence.</summary>
    [JsonPropertyName("tokens")]
    public required int[][] Tokens { get; init; }

    /// <summary>Per sequence and position: the token id where the position is trained, -100 where it is not.</summary>
    [JsonPropertyName("masks")]
    public required int[][] Masks { get; init; }

    /// <summary>One score (reward) per sequence.</summary>
    [JsonPropertyName("scores")]
    public required double[] Scores { get; init; }

    /// <summary>Token-level advantages aligned with the tokens; null to derive them from the scores.</summary>
    [JsonPropertyName("advantages")]
    public double[][]? Advantages { get; init; }

    /// <summary>Reference-model log-probs aligned with the tokens; null when the environment sends none.</summary>
    [JsonPropertyName("ref_logprobs")]
    public double[][]? RefLogProbs { get; init; }

    /// <summary>The chat messages behind each sequence (each message has <c>role</c> and <c>content</c>); null when not sent.</summary>
    [JsonPropertyName("messages")]
    public JsonArray? Messages { get; init; }

    /// <summary>Sampling parameters of the group (e.g. <c>temperature</c>); null when not sent.</summary>
    [JsonPropertyName("generation_params")]
    public JsonObject? GenerationParams { get; init; }

    /// <summary>The sampler's log-probs aligned with the tokens: 1.0 at positions that were not generated (the prompt).</summary>
    [JsonPropertyName("inference_logprobs")]
    public double[][]? InferenceLogProbs { get; init; }

    /// <summary>Per-sequence overrides (<c>set_advantage_to_zero</c>, <c>temperature</c>); null when none.</summary>
    [JsonPropertyName("overrides")]
    public JsonObject?[]? Overrides { get; init; }

    /// <summary>Overrides of the whole group (e.g. <c>temperature</c>); null when none.</summary>
    [JsonPropertyName("group_overrides")]
    public JsonObject? GroupOverrides { get; init; }

    /// <summary>Images of multimodal environments (carried through, not read).</summary>
    [JsonPropertyName("images")]
    public JsonNode? Images { get; init; }

    /// <summary>The id of the environment that produced the group (from POST /register-env); null when unregistered.</summary>
    [JsonPropertyName("env_id")]
    public int? EnvId { get; init; }

    /// <summary>On-policy distillation token ids, [sequence][position][top_k] (carried through, not read).</summary>
    [JsonPropertyName("distill_token_ids")]
    public JsonNode? DistillTokenIds { get; init; }

    /// <summary>On-policy distillation log-probs, [sequence][position][top_k] (carried through, not read).</summary>
    [JsonPropertyName("distill_logprobs")]
    public JsonNode? DistillLogProbs { get; init; }

    /// <summary>The number of sequences (the group size).</summary>
    [JsonIgnore]
    public int Count => Tokens.Length;
}
