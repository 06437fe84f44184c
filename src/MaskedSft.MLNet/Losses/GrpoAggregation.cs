// How the GRPO per-token losses are averaged into one number: grpo, bnpo, dr_grpo, dapo.
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// The <c>loss_type</c> of GRPO: how per-token losses <c>l[i, t]</c> (0 where not trained) become the loss. <c>|o_i|</c> is
/// row i's number of trained tokens, <c>S</c> the number of rows with at least one trained token and <c>N</c> the number of
/// trained tokens. Rows without trained tokens (all masked, or truncated with mask_truncated_completions) contribute 0 and
/// are not counted in S (the published formulas assume every row has tokens; where one has none, TRL still counts it).
/// </summary>
public enum GrpoAggregation
{
    /// <summary><c>grpo</c> (DeepSeekMath): <c>(1/S) Σ_i (1/|o_i|) Σ_t l[i,t]</c>; every sequence weighs the same, so long
    /// sequences' tokens weigh less (the length bias Dr. GRPO points out). S is counted over the whole accumulation window.</summary>
    Grpo,

    /// <summary><c>bnpo</c>: <c>Σ l / N_local</c>, a token mean over the micro-batch (each of k micro-batches weighs 1/k).</summary>
    Bnpo,

    /// <summary><c>dr_grpo</c> (Dr. GRPO): <c>Σ l / (S · L)</c> with a constant L (the maximum completion length), so no
    /// length-dependent normalisation.</summary>
    DrGrpo,

    /// <summary><c>dapo</c> (DAPO token-level policy gradient): <c>Σ l / N</c> with N counted over the whole accumulation
    /// window (and all ranks), so every token of the global batch weighs the same.</summary>
    Dapo,
}

/// <summary>Names of <see cref="GrpoAggregation"/>: grpo, bnpo, dr_grpo, dapo.</summary>
public static class GrpoAggregationNames
{
    /// <summary>The name of a mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>grpo, bnpo, dr_grpo or dapo.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined mode.</exception>
    public static string Name(GrpoAggregation mode) => mode switch
    {
        GrpoAggregation.Grpo => "grpo",
        GrpoAggregation.Bnpo => "bnpo",
        GrpoAggregation.DrGrpo => "dr_grpo",
        GrpoAggregation.Dapo => "dapo",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown GRPO aggregation."),
    };

    /// <summary>Parses a name (grpo, bnpo, dr_grpo or dr-grpo, dapo).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static GrpoAggregation Parse(string name) => name?.Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "grpo" => GrpoAggregation.Grpo,
        "bnpo" => GrpoAggregation.Bnpo,
        "dr_grpo" => GrpoAggregation.DrGrpo,
        "dapo" => GrpoAggregation.Dapo,
        _ => throw new ArgumentException($"unknown GRPO loss type '{name}'. Hint: use grpo, bnpo, dr_grpo or dapo.", nameof(name)),
    };
}
