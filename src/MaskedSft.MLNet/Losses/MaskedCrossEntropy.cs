// Masked cross-entropy on aligned tensors: sum(CE * mask) / sum(mask), exactly 0 (with zero gradients) for an empty mask.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// The masked language-model loss of the seed: <c>sum(CE(logits[t], targets[t]) * keep[t]) / max(sum(keep), 1)</c> with
/// <c>keep = (mask != 0) &amp; (targets != ignoreIndex)</c>. Tensors are ALIGNED: <c>logits[b, t]</c> predicts
/// <c>targets[b, t]</c> and <c>mask[b, t]</c> says whether that target is trained (the episode loader's Y and mask).
/// Kept positions are selected with a where (not multiplied), so a masked position with an arbitrary or out-of-range
/// target contributes exactly nothing, and an all-zero mask gives exactly 0 and all-zero gradients, never NaN.
/// </summary>
public static class MaskedCrossEntropy
{
    /// <summary>Computes the masked mean cross-entropy.</summary>
    /// <param name="logits">(B, T, V) or (N, V) floating logits.</param>
    /// <param name="targets">(B, T) or (N) int64 class indices (values at unkept positions are never read as classes).</param>
    /// <param name="mask">(B, T) or (N), any numeric or bool dtype; non-zero = train on this target.</param>
    /// <param name="ignoreIndex">A target value that is never trained, whatever the mask (default -100, the loader's padding).</param>
    /// <returns>A scalar tensor (the caller owns it, or its dispose scope does).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public static Tensor Compute(Tensor logits, Tensor targets, Tensor mask, long ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(mask);
        var vocab = CheckShapes(logits, targets, mask);
        using var scope = new DisposeScope();
        var flatLogits = logits.Reshape(-1, vocab);                                   // (N, V)
        var flatTargets = targets.Reshape(-1);                                        // (N)
        if (flatTargets.DType != ScalarType.Int64) flatTargets = flatTargets.To(ScalarType.Int64);
        var keep = EffectiveMask.Of(flatTargets, mask.Reshape(-1), ignoreIndex);     // (N) bool
        var safeTargets = TorchOps.Where(keep, flatTargets, TorchOps.ZerosLike(flatTargets));
        var ce = TorchOps.CrossEntropy(flatLogits, safeTargets, Reduction.None);      // (N)
        var kept = TorchOps.Where(keep, ce, TorchOps.ZerosLike(ce));
        var count = keep.Sum(0, dtype: flatLogits.DType).ClampMin(1.0);
        var loss = kept.Sum().Div(count);
        return loss.MoveToOuterScope();
    }

    /// <summary>Checks that logits are (..., V) with the leading shape of targets and mask; returns V.</summary>
    internal static long CheckShapes(Tensor logits, Tensor targets, Tensor mask)
    {
        var ls = logits.Shape;
        var ts = targets.Shape;
        var ms = mask.Shape;
        if (ls.Length < 2 || ls.Length != ts.Length + 1 || !ls.AsSpan(0, ts.Length).SequenceEqual(ts) || !ts.AsSpan().SequenceEqual(ms))
        {
            throw new ArgumentException(
                $"masked cross-entropy expects logits (B, T, V) or (N, V) and targets and mask of the leading shape; got logits [{string.Join(", ", ls)}], " +
                $"targets [{string.Join(", ", ts)}], mask [{string.Join(", ", ms)}]. Hint: the loader's Y and mask are aligned with the logits (no shift here).",
                nameof(logits));
        }

        return ls[^1];
    }
}
