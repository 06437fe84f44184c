// Whether the GRPO importance ratio is taken per token or per sequence (GSPO).
namespace MaskedSft.MLNet.Losses;

/// <summary>The level of the importance ratio between the trained policy and the policy that sampled the tokens.</summary>
public enum ImportanceSamplingLevel
{
    /// <summary><c>token</c> (GRPO, PPO): <c>ρ[i,t] = exp(log π_θ(o_t) - log π_old(o_t))</c>.</summary>
    Token,

    /// <summary><c>sequence</c> (GSPO): one ratio per row, the geometric mean of its token ratios,
    /// <c>ρ[i] = exp((1/|o_i|) Σ_t (log π_θ - log π_old))</c>, applied to every token of the row.</summary>
    Sequence,
}
