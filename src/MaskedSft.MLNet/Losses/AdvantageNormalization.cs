// Normalisation of advantages before they weight the per-token losses.
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// How advantages are normalised. Statistics use valid tokens only (effective mask 1): <c>(a - mean) / (std + epsilon)</c>
/// with the population standard deviation. A group whose valid advantages are all equal gives exactly 0 (no signal), so a
/// constant-reward group never produces huge values from a rounding-level standard deviation. Invalid positions are 0.
/// </summary>
public enum AdvantageNormalization
{
    /// <summary>Raw advantages (zero outside valid tokens).</summary>
    None,

    /// <summary>One mean and standard deviation over every valid token of the batch.</summary>
    Batch,

    /// <summary>A mean and standard deviation per sequence, over its valid tokens.</summary>
    Sequence,
}
