// The outputs of the masked-only head loss: the loss plus what the trainer's metrics and hard examples need.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Result of <see cref="WeightedSftLoss.ComputeFromHidden"/>. Only supervised positions (<see cref="Losses.EffectiveMask"/>) are projected onto the
/// vocabulary: <see cref="SelectedTargets"/> and <see cref="Predictions"/> (and <see cref="SelectedLogits"/> when the head was not chunked) have one row per supervised target, in row-major (b, t) order. Disposing frees
/// every tensor.
/// </summary>
public sealed class MaskedLmOutput : IDisposable
{
    internal MaskedLmOutput(Tensor loss, Tensor tokenLoss, Tensor tokenNll, Tensor effectiveMask, Tensor? selectedLogits, Tensor predictions, Tensor selectedTargets)
    {
        Loss = loss;
        TokenLoss = tokenLoss;
        TokenNll = tokenNll;
        EffectiveMask = effectiveMask;
        SelectedLogits = selectedLogits;
        Predictions = predictions;
        SelectedTargets = selectedTargets;
    }

    /// <summary>The loss to back-propagate (a scalar, reduced as the loss options say).</summary>
    public Tensor Loss { get; }

    /// <summary>(B, T) advantage-weighted per-token losses, 0 where not supervised.</summary>
    public Tensor TokenLoss { get; }

    /// <summary>(B, T) cross-entropy of each supervised target before advantage weighting (detached, no gradient), 0 where
    /// not supervised; what hard-example tracking ranks samples by.</summary>
    public Tensor TokenNll { get; }

    /// <summary>(B, T) 1 where the target is supervised (<see cref="Losses.EffectiveMask"/>), else 0, in the dtype of <see cref="TokenNll"/> (the hidden states', or float32 when a half-precision head was chunked).</summary>
    public Tensor EffectiveMask { get; }

    /// <summary>(N, V) logits at the N supervised positions; null when the head was projected in chunks
    /// (<see cref="WeightedSftLossOptions.HeadChunkRows"/>), since they never existed whole.</summary>
    public Tensor? SelectedLogits { get; }

    /// <summary>(N) int64 argmax of the logits at those positions (for accuracy), chunked or not.</summary>
    public Tensor Predictions { get; }

    /// <summary>(N) the targets at those positions.</summary>
    public Tensor SelectedTargets { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        TokenLoss.Dispose();
        TokenNll.Dispose();
        EffectiveMask.Dispose();
        SelectedLogits?.Dispose();
        Predictions.Dispose();
        SelectedTargets.Dispose();
    }
}
