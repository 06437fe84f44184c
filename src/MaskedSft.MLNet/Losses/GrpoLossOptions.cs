// Settings of the GRPO policy loss: clipping, dual clip, importance-sampling level, aggregation, KL term, truncation masking.
namespace MaskedSft.MLNet.Losses;

/// <summary>Options of <see cref="GrpoLoss"/> (defaults: DeepSeekMath GRPO with ε = 0.2, no KL term, token-level ratio).</summary>
public sealed record GrpoLossOptions
{
    /// <summary>Lower clip range: the ratio is clipped at <c>1 - EpsilonLow</c> (default 0.2).</summary>
    public double EpsilonLow { get; init; } = 0.2;

    /// <summary>Upper clip range: the ratio is clipped at <c>1 + EpsilonHigh</c> (default 0.2; DAPO's clip-higher uses 0.28).</summary>
    public double EpsilonHigh { get; init; } = 0.2;

    /// <summary>Dual-clip constant c &gt; 1 (Ye et al. 2020): for negative advantages the per-token loss is capped at
    /// <c>-c · A</c>, so a huge ratio on a bad token cannot explode the update; null = off (default).</summary>
    public double? DualClip { get; init; }

    /// <summary>Token- or sequence-level importance ratio (default token).</summary>
    public ImportanceSamplingLevel ImportanceSampling { get; init; } = ImportanceSamplingLevel.Token;

    /// <summary>How per-token losses are averaged (default grpo).</summary>
    public GrpoAggregation Aggregation { get; init; } = GrpoAggregation.Grpo;

    /// <summary>The constant L of <see cref="GrpoAggregation.DrGrpo"/> (the maximum completion length); null = T of the call.</summary>
    public int? MaxCompletionLength { get; init; }

    /// <summary>Weight β of the KL term (default 0: no reference needed).</summary>
    public double KlBeta { get; init; }

    /// <summary>The KL estimator (default k3, as DeepSeekMath).</summary>
    public KlEstimator KlEstimator { get; init; } = KlEstimator.K3;

    /// <summary>Drop every token of a truncated completion (one cut at the length limit) from the loss (DAPO's overlong
    /// filtering; default off).</summary>
    public bool MaskTruncatedCompletions { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!double.IsFinite(EpsilonLow) || EpsilonLow < 0 || EpsilonLow >= 1)
            throw new ArgumentOutOfRangeException(nameof(EpsilonLow), EpsilonLow, "EpsilonLow must be in [0, 1) (e.g. 0.2).");
        if (!double.IsFinite(EpsilonHigh) || EpsilonHigh < 0)
            throw new ArgumentOutOfRangeException(nameof(EpsilonHigh), EpsilonHigh, "EpsilonHigh must be a finite number >= 0 (e.g. 0.2 or 0.28).");
        if (DualClip is { } c && (!double.IsFinite(c) || c <= 1))
            throw new ArgumentOutOfRangeException(nameof(DualClip), DualClip, "DualClip must be a finite constant > 1 (e.g. 3), or null.");
        if (MaxCompletionLength is <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxCompletionLength), MaxCompletionLength, "MaxCompletionLength must be positive, or null.");
        if (!double.IsFinite(KlBeta) || KlBeta < 0)
            throw new ArgumentOutOfRangeException(nameof(KlBeta), KlBeta, "KlBeta must be a finite number >= 0.");
        if (!Enum.IsDefined(Aggregation)) throw new ArgumentOutOfRangeException(nameof(Aggregation), Aggregation, "Unknown aggregation.");
        if (!Enum.IsDefined(KlEstimator)) throw new ArgumentOutOfRangeException(nameof(KlEstimator), KlEstimator, "Unknown KL estimator.");
        if (!Enum.IsDefined(ImportanceSampling)) throw new ArgumentOutOfRangeException(nameof(ImportanceSampling), ImportanceSampling, "Unknown level.");
    }
}
