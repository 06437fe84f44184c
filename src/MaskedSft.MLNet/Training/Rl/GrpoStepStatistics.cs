// The policy-side statistics of one GRPO optimizer step, accumulated over its micro-batches (token-weighted).
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Token-weighted means over every trained token of a step: the importance ratio against the old / inference log-probs,
/// the KL estimate against the reference, the clip fractions, and the trainer-vs-inference log-prob difference
/// <c>|log π_trainer - log π_inference|</c> (only where the batch carried inference log-probs).
/// </summary>
public sealed class GrpoStepStatistics
{
    private double _ratio, _kl, _low, _high, _dual, _diff;
    private long _diffTokens;

    /// <summary>Trained tokens of the step.</summary>
    public long Tokens { get; private set; }

    /// <summary>Mean importance ratio (1 on-policy).</summary>
    public double MeanRatio => Tokens == 0 ? 1.0 : _ratio / Tokens;

    /// <summary>Largest importance ratio.</summary>
    public double MaxRatio { get; private set; } = 1.0;

    /// <summary>Mean per-token KL estimate (0 without a KL term).</summary>
    public double MeanKl => Tokens == 0 ? 0.0 : _kl / Tokens;

    /// <summary>Fraction of tokens clipped from below.</summary>
    public double ClipLowFraction => Tokens == 0 ? 0.0 : _low / Tokens;

    /// <summary>Fraction of tokens clipped from above.</summary>
    public double ClipHighFraction => Tokens == 0 ? 0.0 : _high / Tokens;

    /// <summary>Fraction of tokens capped by the dual clip.</summary>
    public double DualClipFraction => Tokens == 0 ? 0.0 : _dual / Tokens;

    /// <summary>Mean |trainer - inference| log-prob difference, or null when no inference log-probs were given.</summary>
    public double? MeanLogProbDifference => _diffTokens == 0 ? null : _diff / _diffTokens;

    /// <summary>Largest |trainer - inference| log-prob difference, or null.</summary>
    public double? MaxLogProbDifference { get; private set; }

    /// <summary>Whether the KL term was computed.</summary>
    public bool HasKl { get; private set; }

    /// <summary>Adds one micro-batch's numbers.</summary>
    /// <param name="s">The loss call's statistics.</param>
    /// <param name="hasKl">Whether a KL term was computed.</param>
    /// <param name="diffSum">Sum of |trainer - inference| over the trained tokens (with inference log-probs).</param>
    /// <param name="diffMax">Largest difference.</param>
    /// <param name="diffTokens">Tokens the difference covers (0 without inference log-probs).</param>
    public void Add(Losses.GrpoLossStatistics s, bool hasKl, double diffSum, double diffMax, long diffTokens)
    {
        Tokens += s.Tokens;
        _ratio += s.MeanRatio * s.Tokens;
        _kl += s.MeanKl * s.Tokens;
        _low += s.ClipLowFraction * s.Tokens;
        _high += s.ClipHighFraction * s.Tokens;
        _dual += s.DualClipFraction * s.Tokens;
        if (s.Tokens > 0) MaxRatio = Tokens == s.Tokens ? s.MaxRatio : Math.Max(MaxRatio, s.MaxRatio);
        HasKl |= hasKl;
        if (diffTokens > 0)
        {
            _diff += diffSum;
            _diffTokens += diffTokens;
            MaxLogProbDifference = Math.Max(MaxLogProbDifference ?? 0, diffMax);
        }
    }
}
