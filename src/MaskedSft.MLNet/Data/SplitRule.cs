// The hash rule that assigns episodes written without an explicit split (dataset.json's `split`).
namespace MaskedSft.MLNet.Data;

/// <summary>The rule that assigned the split of episodes written without an explicit one.</summary>
public sealed class SplitRule
{
    /// <summary>Fraction of episodes assigned to validation.</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Seed of the split hash: an episode is validation when <c>mix64(key ^ seed) &lt; fraction * 2^64</c>.</summary>
    public ulong Seed { get; set; }
}
