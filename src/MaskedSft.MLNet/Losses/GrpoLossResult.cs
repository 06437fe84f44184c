// The GRPO loss with its per-token terms and the detached statistics behind the RL diagnostics (ratio, KL, clip fractions).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>What <see cref="GrpoLoss.Compute"/> returns; disposing frees every tensor.</summary>
/// <param name="Loss">() the aggregated loss, with its graph.</param>
/// <param name="PerTokenLoss">(B, T) per-token loss (policy term + β·KL), 0 where not trained, with its graph.</param>
/// <param name="EffectiveMask">(B, T) 1 where trained (after truncation masking), in the log-probs' dtype.</param>
/// <param name="Ratio">(B, T) detached importance ratio (1 where not trained).</param>
/// <param name="Kl">(B, T) detached per-token KL estimate (0 where not trained), or null without a KL term.</param>
/// <param name="Statistics">() -shaped detached statistics over trained tokens.</param>
public sealed record GrpoLossResult(Tensor Loss, Tensor PerTokenLoss, Tensor EffectiveMask, Tensor Ratio, Tensor? Kl, GrpoLossStatistics Statistics) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        PerTokenLoss.Dispose();
        EffectiveMask.Dispose();
        Ratio.Dispose();
        Kl?.Dispose();
    }
}
