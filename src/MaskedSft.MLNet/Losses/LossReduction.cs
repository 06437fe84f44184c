// How a token-level loss is reduced to its result: mean (through an aggregation mode), sum, or no reduction.
namespace MaskedSft.MLNet.Losses;

/// <summary>Reduction of per-token losses.</summary>
public enum LossReduction
{
    /// <summary>A normalised mean over valid tokens, as chosen by <see cref="LossAggregation"/> (token-mean by default).</summary>
    Mean,

    /// <summary>The sum over valid tokens.</summary>
    Sum,

    /// <summary>No reduction: the per-token losses, shape (B, T-1) for weighted SFT, with zeros at invalid positions.</summary>
    None,
}
