// The one rule for which targets are trained: loss-mask value non-zero and target not the ignore index (tensors and spans).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// The effective mask: a target counts (is trained, enters the loss, its denominators, accuracy and hard-example rows) when
/// <c>mask != 0 &amp;&amp; target != ignoreIndex</c>; without a loss mask (no-loss-mask mode) every target that is not the
/// ignore index counts. Every loss, the trainer's normalizer and hard-example decoding use these functions, on the device
/// (<see cref="Of"/>) or on the host (<see cref="IsSupervised"/>, <see cref="Count"/>), so the rule is written once.
/// </summary>
public static class EffectiveMask
{
    /// <summary>The effective mask of a batch as a bool tensor.</summary>
    /// <param name="targets">(...) integer targets.</param>
    /// <param name="lossMask">(...) the loss mask (any numeric or bool dtype, non-zero = train), the shape of
    /// <paramref name="targets"/>; null = no loss mask.</param>
    /// <param name="ignoreIndex">The target value that is never trained (the loader's padding, -100 by default).</param>
    /// <returns>(...) bool on the targets' device: true where the target is trained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="targets"/> is null.</exception>
    /// <exception cref="ArgumentException">The mask's shape differs from the targets'.</exception>
    public static Tensor Of(Tensor targets, Tensor? lossMask, long ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var real = targets.Ne(ignoreIndex);
        if (lossMask is null) return real;
        if (!lossMask.Shape.AsSpan().SequenceEqual(targets.Shape))
        {
            real.Dispose();
            throw new ArgumentException(
                $"the loss mask has shape [{string.Join(", ", lossMask.Shape)}] but the targets have [{string.Join(", ", targets.Shape)}]. Hint: the mask is aligned with the targets (the loader's Y).",
                nameof(lossMask));
        }

        using var scope = new DisposeScope();
        var mask = lossMask.Device == targets.Device ? lossMask : lossMask.To(targets.Device);
        return mask.Ne(0L).LogicalAnd(real).MoveToOuterScope();
    }

    /// <summary>Whether one target is trained.</summary>
    /// <param name="target">The target id.</param>
    /// <param name="maskValue">Its loss-mask value (pass 1 in no-loss-mask mode).</param>
    /// <param name="ignoreIndex">The ignore index.</param>
    /// <returns><c>maskValue != 0 &amp;&amp; target != ignoreIndex</c>.</returns>
    public static bool IsSupervised(long target, float maskValue, long ignoreIndex) => maskValue != 0 && target != ignoreIndex;

    /// <summary>Counts the trained targets of a row (or of any run of positions).</summary>
    /// <param name="targets">The targets.</param>
    /// <param name="lossMask">The loss mask aligned with them, or empty for no loss mask.</param>
    /// <param name="ignoreIndex">The ignore index.</param>
    /// <returns>The number of positions <see cref="IsSupervised"/> accepts.</returns>
    /// <exception cref="ArgumentException">The mask is neither empty nor as long as the targets.</exception>
    public static int Count(ReadOnlySpan<long> targets, ReadOnlySpan<float> lossMask, long ignoreIndex)
    {
        CheckLengths(targets, lossMask);
        var n = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            if (IsSupervisedAt(targets, lossMask, i, ignoreIndex)) n++;
        }

        return n;
    }

    /// <summary>Appends the flat indices (<paramref name="offset"/> + position) of a row's trained targets, in order: the
    /// host-side twin of <c>Of(...).Nonzero()</c>, so a device needs no synchronisation to size the selection.</summary>
    /// <param name="targets">The row's targets.</param>
    /// <param name="lossMask">The loss mask aligned with them, or empty for no loss mask.</param>
    /// <param name="ignoreIndex">The ignore index.</param>
    /// <param name="offset">Added to every position (row r of width T: r·T).</param>
    /// <param name="into">Receives the indices.</param>
    /// <exception cref="ArgumentException">The mask is neither empty nor as long as the targets.</exception>
    public static void AddPositions(ReadOnlySpan<long> targets, ReadOnlySpan<float> lossMask, long ignoreIndex, long offset, List<long> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        CheckLengths(targets, lossMask);
        for (var i = 0; i < targets.Length; i++)
        {
            if (IsSupervisedAt(targets, lossMask, i, ignoreIndex)) into.Add(offset + i);
        }
    }

    /// <summary>Whether position <paramref name="index"/> of a row is trained.</summary>
    /// <param name="targets">The row's targets.</param>
    /// <param name="lossMask">The loss mask aligned with them, or empty for no loss mask.</param>
    /// <param name="index">The position.</param>
    /// <param name="ignoreIndex">The ignore index.</param>
    /// <returns><see cref="IsSupervised"/> of that position.</returns>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is outside the row.</exception>
    public static bool IsSupervisedAt(ReadOnlySpan<long> targets, ReadOnlySpan<float> lossMask, int index, long ignoreIndex) =>
        IsSupervised(targets[index], lossMask.IsEmpty ? 1f : lossMask[index], ignoreIndex);

    private static void CheckLengths(ReadOnlySpan<long> targets, ReadOnlySpan<float> lossMask)
    {
        if (!lossMask.IsEmpty && lossMask.Length != targets.Length)
            throw new ArgumentException($"the loss mask has {lossMask.Length} values for {targets.Length} targets (empty means no loss mask).", nameof(lossMask));
    }
}
