// Named advantage patterns for tests and synthetic RL data (uniform, increasing, end-weighted, sparse, alternating).
namespace MaskedSft.MLNet.Losses;

/// <summary>A shape of per-token advantages over the supervised tokens of a sequence.</summary>
public enum AdvantagePattern
{
    /// <summary>Every supervised token gets the same positive value (1 by default).</summary>
    UniformPositive,

    /// <summary>Linearly increasing: the k-th of n supervised tokens gets <c>(k + 1) / n</c>, so the last gets 1.</summary>
    Increasing,

    /// <summary>A low weight (0.25) on most tokens and 1 on the last quarter, rounded up (at least one token).</summary>
    EndWeighted,

    /// <summary>About a fifth of the tokens (seeded choice, at least one) get 1; the rest get 0.</summary>
    SparsePositive,

    /// <summary>+1, -1, +1, ... in the order of the supervised tokens.</summary>
    Alternating,
}
