// Computes the per-token KL estimators k1/k2/k3 from policy and reference log-probs (tensors in, tensors out), and their names.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>The per-token KL estimators of <see cref="KlEstimator"/>.</summary>
public static class KlEstimators
{
    /// <summary>The estimator's value per token, differentiable through <paramref name="logProbs"/> (see
    /// <see cref="KlEstimator"/> for the value and gradient of each).</summary>
    /// <param name="logProbs">(B, T) log π_θ of the sampled tokens (with its graph).</param>
    /// <param name="referenceLogProbs">(B, T) log π_ref of the same tokens (treated as a constant).</param>
    /// <param name="estimator">k1, k2 or k3.</param>
    /// <returns>(B, T) per-token estimates.</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The estimator is not defined.</exception>
    public static Tensor Compute(Tensor logProbs, Tensor referenceLogProbs, KlEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(referenceLogProbs);
        using var scope = new DisposeScope();
        var delta = logProbs.Sub(referenceLogProbs.Detach());                    // (B, T) δ = log π_θ - log π_ref
        var value = estimator switch
        {
            KlEstimator.K1 => delta,
            KlEstimator.K2 => delta.Square().Mul(0.5),
            KlEstimator.K3 => delta.Neg().Exp().Sub(1.0).Add(delta),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown KL estimator."),
        };
        return value.MoveToOuterScope();
    }

    /// <summary>The name of an estimator: k1, k2 or k3.</summary>
    /// <param name="estimator">The estimator.</param>
    /// <returns>Its name.</returns>
    public static string Name(KlEstimator estimator) => estimator switch
    {
        KlEstimator.K1 => "k1",
        KlEstimator.K2 => "k2",
        KlEstimator.K3 => "k3",
        _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown KL estimator."),
    };

    /// <summary>Parses k1, k2 or k3.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static KlEstimator Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "k1" => KlEstimator.K1,
        "k2" => KlEstimator.K2,
        "k3" => KlEstimator.K3,
        _ => throw new ArgumentException($"unknown KL estimator '{name}'. Hint: use k1, k2 or k3.", nameof(name)),
    };
}
