// The three per-token estimators of KL(π_θ ‖ π_ref) from samples of π_θ (Schulman's k1, k2, k3): value and gradient direction.
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Per-token estimators of the KL between the trained policy π_θ and the reference π_ref, from tokens sampled by π_θ.
/// Write <c>δ = log π_θ(o_t) - log π_ref(o_t)</c> and <c>r = π_ref / π_θ = exp(-δ)</c>. The loss adds <c>β · k</c> per
/// trained token; descent follows <c>-∂k/∂log π_θ</c>.
/// <list type="table">
/// <item><term>k1</term><description>value <c>δ</c>; unbiased for KL(π_θ‖π_ref) but a sample can be negative.
/// <c>∂k1/∂log π_θ = 1</c> whatever δ: every sampled token is pushed down, and on-policy
/// <c>E_πθ[∇ log π_θ] = 0</c>, so as a loss term k1 gives no expected pull toward the reference (only noise).</description></item>
/// <item><term>k2</term><description>value <c>δ²/2</c>; biased (second order in δ), low variance, ≥ 0.
/// <c>∂k2/∂log π_θ = δ</c>: descent lowers log π_θ where it exceeds the reference and raises it where below; on-policy
/// <c>E[δ ∇ log π_θ] = ∇_θ KL(π_θ‖π_ref)</c>, the reverse KL's true gradient.</description></item>
/// <item><term>k3</term><description>value <c>r - 1 - log r = exp(-δ) - 1 + δ</c> (DeepSeekMath's choice); ≥ 0 and unbiased
/// for KL(π_θ‖π_ref). <c>∂k3/∂log π_θ = 1 - r = 1 - exp(-δ)</c>: the sign of δ, so it also pulls toward the reference; on-policy
/// <c>E_πθ[(1 - r) ∇ log π_θ] = -E_πref[∇ log π_θ] = ∇_θ KL(π_ref‖π_θ)</c>, the FORWARD KL's gradient, not the reverse one
/// its value estimates. Its gradient grows like exp(-δ) when π_θ falls far below π_ref.</description></item>
/// </list>
/// At δ = 0 (step 0 with the adapters-disabled reference) every value and k2/k3 gradient is 0.
/// </summary>
public enum KlEstimator
{
    /// <summary>k1 = δ = log π_θ - log π_ref.</summary>
    K1,

    /// <summary>k2 = δ² / 2.</summary>
    K2,

    /// <summary>k3 = exp(-δ) - 1 + δ.</summary>
    K3,
}
