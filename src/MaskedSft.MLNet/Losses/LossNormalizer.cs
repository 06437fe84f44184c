// The global denominators of a mean loss, so micro-batches of an accumulated step sum to the full batch's loss.
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Denominators of <see cref="LossReduction.Mean"/>: the supervised tokens and supervised sequences of the WHOLE optimizer
/// batch, and the constant length of <see cref="LossAggregation.SequenceMeanTokenSumNorm"/>. Compute it once from every
/// micro-batch's effective mask and pass it to each micro-batch's loss: the micro-batch losses (and gradients) then add up
/// exactly to those of the full batch, whatever the token counts of the micro-batches.
/// </summary>
/// <param name="SupervisedTokens">Number of positions whose effective mask is 1, over the whole batch.</param>
/// <param name="SupervisedSequences">Number of sequences with at least one supervised token, over the whole batch.</param>
/// <param name="NormLength">The constant <c>L</c> of seq-mean-token-sum-norm; null uses the number of target positions of
/// the call (T - 1 for weighted SFT, T for aligned inputs).</param>
public readonly record struct LossNormalizer(long SupervisedTokens, long SupervisedSequences, int? NormLength = null)
{
    /// <summary>Adds the counts of two parts of a batch (the norm length must agree).</summary>
    /// <param name="a">One part.</param>
    /// <param name="b">The other part.</param>
    /// <returns>The combined counts.</returns>
    /// <exception cref="ArgumentException">The two parts carry different norm lengths.</exception>
    public static LossNormalizer operator +(LossNormalizer a, LossNormalizer b)
    {
        if (a.NormLength != b.NormLength)
            throw new ArgumentException($"Cannot combine normalizers with norm lengths {a.NormLength} and {b.NormLength}.", nameof(b));
        return new LossNormalizer(a.SupervisedTokens + b.SupervisedTokens, a.SupervisedSequences + b.SupervisedSequences, a.NormLength);
    }

    /// <summary>Counts the supervised tokens and sequences of an effective mask given as rows.</summary>
    /// <param name="effectiveMask">Row-major (rows x columns) 0/1 values.</param>
    /// <param name="rows">Number of sequences.</param>
    /// <param name="normLength">The constant length of seq-mean-token-sum-norm, or null.</param>
    /// <returns>The counts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is not positive or does not divide the length.</exception>
    public static LossNormalizer FromMask(ReadOnlySpan<float> effectiveMask, int rows, int? normLength = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        if (effectiveMask.Length % rows != 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"A mask of {effectiveMask.Length} values cannot hold {rows} equal rows.");
        var columns = effectiveMask.Length / rows;
        long tokens = 0, sequences = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = effectiveMask.Slice(r * columns, columns);
            var n = 0;
            foreach (var v in row) if (v != 0) n++;
            tokens += n;
            if (n > 0) sequences++;
        }

        return new LossNormalizer(tokens, sequences, normLength);
    }
}
