// The outputs of WeightedSftLoss: the loss, the weighted per-token losses, the effective mask and the advantages used.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Result of <see cref="WeightedSftLoss"/>. All per-token tensors are over TARGET positions: for the shifting
/// <see cref="WeightedSftLoss.Compute"/> they are (B, T-1) and column j refers to token j + 1 of the input; for
/// <see cref="WeightedSftLoss.ComputeAligned"/> they are (B, T) aligned with the targets. Disposing frees all four.
/// </summary>
public sealed class WeightedSftLossResult : IDisposable
{
    internal WeightedSftLossResult(Tensor loss, Tensor perTokenLoss, Tensor effectiveMask, Tensor advantages)
    {
        Loss = loss;
        PerTokenLoss = perTokenLoss;
        EffectiveMask = effectiveMask;
        Advantages = advantages;
    }

    /// <summary>The loss to back-propagate: a scalar for Mean and Sum, the per-token losses for None.</summary>
    public Tensor Loss { get; }

    /// <summary>Advantage-weighted per-token losses <c>CE * advantage</c>, 0 at invalid positions.</summary>
    public Tensor PerTokenLoss { get; }

    /// <summary>1 where a target is trained (mask non-zero and target != ignore index), else 0; the logits' dtype.</summary>
    public Tensor EffectiveMask { get; }

    /// <summary>The advantages actually used (after broadcasting and normalisation), 0 at invalid positions.</summary>
    public Tensor Advantages { get; }

    /// <summary>Number of trained target positions (reads the effective mask back from the device).</summary>
    /// <returns>The count.</returns>
    public long CountSupervisedTokens()
    {
        using var scope = new DisposeScope();
        return (long)Math.Round(EffectiveMask.Sum().To(ScalarType.Float64).Item<double>());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        PerTokenLoss.Dispose();
        EffectiveMask.Dispose();
        Advantages.Dispose();
    }
}
