// Host-side statistics of one GRPO loss call: ratio, KL and clip fractions over the trained tokens.
namespace MaskedSft.MLNet.Losses;

/// <summary>Host-side statistics of one GRPO loss call, over trained tokens.</summary>
/// <param name="Tokens">Trained tokens.</param>
/// <param name="MeanRatio">Mean importance ratio (1 on-policy).</param>
/// <param name="MaxRatio">Largest importance ratio.</param>
/// <param name="MeanKl">Mean per-token KL estimate (0 without a KL term).</param>
/// <param name="ClipLowFraction">Fraction of tokens with A &lt; 0 and ratio &lt; 1 - ε_low (clipped from below).</param>
/// <param name="ClipHighFraction">Fraction of tokens with A &gt; 0 and ratio &gt; 1 + ε_high (clipped from above).</param>
/// <param name="DualClipFraction">Fraction of tokens with A &lt; 0 and ratio &gt; c (capped by the dual clip).</param>
public readonly record struct GrpoLossStatistics(long Tokens, double MeanRatio, double MaxRatio, double MeanKl,
    double ClipLowFraction, double ClipHighFraction, double DualClipFraction);
