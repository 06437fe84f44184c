// Aggregation modes of a mean loss: how token losses are averaged into one number (token vs sequence weighting).
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// How <see cref="LossReduction.Mean"/> averages the weighted token losses <c>l[s, t]</c> (zero at invalid tokens).
/// <c>N</c> is the number of supervised tokens and <c>S</c> the number of sequences with at least one supervised token,
/// both taken from a <see cref="LossNormalizer"/> so that gradient accumulation over micro-batches sums to the full batch.
/// </summary>
public enum LossAggregation
{
    /// <summary><c>token-mean</c>: <c>sum(l) / max(N, 1)</c>; every token weighs the same, long sequences weigh more.</summary>
    TokenMean,

    /// <summary><c>seq-mean-token-mean</c>: <c>sum_s(sum_t l / max(n_s, 1)) / max(S, 1)</c>; every sequence weighs the same.</summary>
    SequenceMeanTokenMean,

    /// <summary><c>seq-mean-token-sum</c>: <c>sum_s(sum_t l) / max(S, 1)</c>.</summary>
    SequenceMeanTokenSum,

    /// <summary><c>seq-mean-token-sum-norm</c>: <c>sum_s(sum_t l / L) / max(S, 1)</c> with a constant length <c>L</c> (Dr. GRPO).</summary>
    SequenceMeanTokenSumNorm,
}

/// <summary>Names of the aggregation modes as written in configs and on the command line.</summary>
public static class LossAggregationNames
{
    /// <summary>The canonical name of a mode: token-mean, seq-mean-token-mean, seq-mean-token-sum or seq-mean-token-sum-norm.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>Its name.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined mode.</exception>
    public static string ToName(this LossAggregation mode) => mode switch
    {
        LossAggregation.TokenMean => "token-mean",
        LossAggregation.SequenceMeanTokenMean => "seq-mean-token-mean",
        LossAggregation.SequenceMeanTokenSum => "seq-mean-token-sum",
        LossAggregation.SequenceMeanTokenSumNorm => "seq-mean-token-sum-norm",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown loss aggregation mode."),
    };

    /// <summary>Parses a mode from its name (case-insensitive).</summary>
    /// <param name="name">token-mean, seq-mean-token-mean, seq-mean-token-sum or seq-mean-token-sum-norm.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is not one of the four.</exception>
    public static LossAggregation Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var mode in Enum.GetValues<LossAggregation>())
        {
            if (string.Equals(mode.ToName(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return mode;
        }

        throw new ArgumentException(
            $"Unknown loss aggregation '{name}'. Use token-mean, seq-mean-token-mean, seq-mean-token-sum or seq-mean-token-sum-norm.",
            nameof(name));
    }
}
