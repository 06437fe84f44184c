// Settings of the advantage-weighted SFT loss: reduction, ignore index, advantage normalisation, temperature, aggregation.
namespace MaskedSft.MLNet.Losses;

/// <summary>Options of <see cref="WeightedSftLoss"/>.</summary>
public sealed record WeightedSftLossOptions
{
    /// <summary>How per-token losses are reduced (default <see cref="LossReduction.Mean"/>).</summary>
    public LossReduction Reduction { get; init; } = LossReduction.Mean;

    /// <summary>Target value that is never trained, whatever the mask (default -100).</summary>
    public long IgnoreIndex { get; init; } = -100;

    /// <summary>Normalisation of the advantages over valid tokens (default <see cref="Losses.AdvantageNormalization.None"/>:
    /// raw advantages; with no advantages given every weight is 1).</summary>
    public AdvantageNormalization AdvantageNormalization { get; init; } = AdvantageNormalization.None;

    /// <summary>Logits are divided by this before the softmax; &gt; 1 softens, &lt; 1 sharpens (default 1).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Added to the standard deviation when normalising advantages (default 1e-8).</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>How <see cref="LossReduction.Mean"/> averages (default <see cref="LossAggregation.TokenMean"/>).</summary>
    public LossAggregation Aggregation { get; init; } = LossAggregation.TokenMean;

    /// <summary>The constant length L of <see cref="LossAggregation.SequenceMeanTokenSumNorm"/>; null uses the number of
    /// target positions of the call. Set it when accumulating micro-batches of different lengths.</summary>
    public int? NormLength { get; init; }

    /// <summary>How <see cref="WeightedSftLoss.ComputeFromHidden"/> projects the supervised rows onto the vocabulary:
    /// null (default) = automatically: on CUDA where the native library has its fused kernel
    /// (<c>TorchOps.HasFusedCrossEntropyKernel</c>) always in chunks of about 2^28 logits (faster than the whole logits
    /// and far smaller); elsewhere in chunks of about 2^25 logits when the supervised rows' logits would not fit in one
    /// chunk, else whole; 0 = always whole (the (N, V) logits are made and kept for backward); n &gt; 0 = always in chunks
    /// of n rows. Chunking gives the same losses and gradients (float32 statistics) with memory independent of N; with a
    /// scalar <see cref="Reduction"/> its forward computes the head's gradients too (the per-token losses are then
    /// detached), with <see cref="LossReduction.None"/> its backward recomputes the logits.</summary>
    public int? HeadChunkRows { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Temperature or epsilon is not a positive finite number, NormLength is not positive, or HeadChunkRows is negative.</exception>
    public void Validate()
    {
        if (!double.IsFinite(Temperature) || Temperature <= 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a positive finite number (1 = no scaling).");
        if (!double.IsFinite(Epsilon) || Epsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be a positive finite number (e.g. 1e-8).");
        if (NormLength is <= 0)
            throw new ArgumentOutOfRangeException(nameof(NormLength), NormLength, "NormLength must be positive (or null for the number of target positions).");
        if (HeadChunkRows is < 0)
            throw new ArgumentOutOfRangeException(nameof(HeadChunkRows), HeadChunkRows, "HeadChunkRows must be 0 (never chunk), positive (rows per chunk) or null (automatic).");
    }
}
