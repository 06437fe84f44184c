// The GRPO policy loss from per-token log-probs: importance ratio (token or sequence), clipping (eps_low/high, dual clip),
// KL to the reference (k1/k2/k3), truncation masking and the grpo/bnpo/dr_grpo/dapo aggregations.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// The clipped-surrogate GRPO loss (DeepSeekMath), with the published variants as options. Per trained token of row i:
/// <code>
/// ρ     = exp(log π_θ - log π_old)                        (token level)   or  exp(mean_t(log π_θ - log π_old)) (sequence level, GSPO)
/// pg    = max(-A·ρ, -A·clip(ρ, 1 - ε_low, 1 + ε_high))    (= -min(ρA, clip(ρ)A))
/// pg    = min(pg, -c·A)  where A &lt; 0                    (dual clip, when c is set)
/// l     = pg + β·k(log π_θ, log π_ref)                     (KlEstimator k1/k2/k3, when β &gt; 0)
/// </code>
/// then aggregated per <see cref="GrpoAggregation"/>. log π_old is the policy that sampled the tokens (the inference
/// server's log-probs, or the detached current policy when none are given: ratio 1, and the gradient is the plain
/// policy gradient <c>-A ∇log π_θ</c>). Positions that are not trained (mask 0, or a truncated row with
/// <see cref="GrpoLossOptions.MaskTruncatedCompletions"/>) get loss 0 and no gradient, whatever values their old/reference
/// log-probs hold (Atropos writes 1.0 there); a batch without trained tokens gives exactly 0.
/// </summary>
public sealed class GrpoLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="options">Options; null = defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public GrpoLoss(GrpoLossOptions? options = null)
    {
        Options = options ?? new GrpoLossOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public GrpoLossOptions Options { get; }

    /// <summary>Computes the loss.</summary>
    /// <param name="logProbs">(B, T) log π_θ of the targets (with its graph; any value where not trained).</param>
    /// <param name="oldLogProbs">(B, T) log π_old of the targets, or null for the detached <paramref name="logProbs"/>.</param>
    /// <param name="advantages">(B, T) per token or (B) per sequence.</param>
    /// <param name="lossMask">(B, T) 1 where trained.</param>
    /// <param name="referenceLogProbs">(B, T) log π_ref, required when KlBeta &gt; 0 (ignored otherwise).</param>
    /// <param name="truncated">(B) 1 for a truncated row, or null (none truncated).</param>
    /// <param name="normalizer">The accumulation window's trained tokens and sequences (grpo, dr_grpo, dapo divide by
    /// them); null counts this call.</param>
    /// <returns>The loss, per-token terms and statistics (caller's dispose scope).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null, or the reference is missing while KlBeta &gt; 0.</exception>
    /// <exception cref="ArgumentException">The shapes are inconsistent.</exception>
    public GrpoLossResult Compute(Tensor logProbs, Tensor? oldLogProbs, Tensor advantages, Tensor lossMask, Tensor? referenceLogProbs = null,
        Tensor? truncated = null, LossNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(lossMask);
        var useKl = Options.KlBeta > 0;
        if (useKl && referenceLogProbs is null)
            throw new ArgumentNullException(nameof(referenceLogProbs), $"KlBeta is {Options.KlBeta}: the KL term needs reference log-probs. Hint: set KlBeta = 0 or pass them.");
        var (b, t) = CheckShapes(logProbs, oldLogProbs, advantages, lossMask, referenceLogProbs, truncated);

        using var scope = new DisposeScope();
        var dtype = logProbs.DType;
        var valid = lossMask.Ne(0L);                                                                      // (B, T)
        if (Options.MaskTruncatedCompletions && truncated is not null)
            valid = valid.LogicalAnd(truncated.Eq(0L).Unsqueeze(1).Expand(b, t));
        var eff = valid.To(dtype);                                                                        // (B, T)
        var current = logProbs.Detach();
        var old = oldLogProbs is null ? current : TorchOps.Where(valid, oldLogProbs.To(dtype), current);  // (B, T)
        var logRatio = TorchOps.Where(valid, logProbs.Sub(old), TorchOps.ZerosLike(logProbs));             // (B, T)
        var logIs = Options.ImportanceSampling == ImportanceSamplingLevel.Token
            ? logRatio
            : logRatio.Mul(eff).Sum(1, keepDim: true).Div(eff.Sum(1, keepDim: true).ClampMin(1.0)).Expand(b, t); // (B, T)
        var ratio = logIs.Exp();                                                                          // (B, T)
        var adv = (advantages.Dim == 1 ? advantages.Unsqueeze(1).Expand(b, t) : advantages).To(dtype);     // (B, T)
        var clipped = ratio.Clamp(1.0 - Options.EpsilonLow, 1.0 + Options.EpsilonHigh);
        var pg = adv.Neg().Mul(ratio).Maximum(adv.Neg().Mul(clipped));                                    // (B, T)
        var negative = adv.Lt(0.0);
        if (Options.DualClip is { } c) pg = TorchOps.Where(negative, pg.Minimum(adv.Mul(-c)), pg);
        Tensor? kl = null;
        var perToken = pg;
        if (useKl)
        {
            var reference = TorchOps.Where(valid, referenceLogProbs!.To(dtype), current);                   // (B, T)
            kl = KlEstimators.Compute(logProbs, reference, Options.KlEstimator);                            // (B, T)
            perToken = pg.Add(kl.Mul(Options.KlBeta));
        }

        perToken = TorchOps.Where(valid, perToken, TorchOps.ZerosLike(perToken));                          // (B, T)
        var loss = Options.Aggregation switch
        {
            GrpoAggregation.Grpo => WeightedSftLoss.Aggregate(perToken, eff, LossAggregation.SequenceMeanTokenMean, normalizer),
            GrpoAggregation.Bnpo => WeightedSftLoss.Aggregate(perToken, eff, LossAggregation.TokenMean, normalizer: null),
            GrpoAggregation.DrGrpo => WeightedSftLoss.Aggregate(perToken, eff, LossAggregation.SequenceMeanTokenSum, normalizer)
                .Div((double)(Options.MaxCompletionLength ?? (int)t)),
            GrpoAggregation.Dapo => WeightedSftLoss.Aggregate(perToken, eff, LossAggregation.TokenMean, normalizer),
            _ => throw new InvalidOperationException($"Unknown aggregation {Options.Aggregation}."),
        };

        var statistics = Statistics(valid, eff, ratio.Detach(), kl?.Detach(), adv);
        var ratioOut = TorchOps.Where(valid, ratio.Detach(), TorchOps.OnesLike(ratio));
        var klOut = kl is null ? null : TorchOps.Where(valid, kl.Detach(), TorchOps.ZerosLike(kl)).MoveToOuterScope();
        return new GrpoLossResult(loss.MoveToOuterScope(), perToken.MoveToOuterScope(), eff.MoveToOuterScope(), ratioOut.MoveToOuterScope(), klOut, statistics);
    }

    private GrpoLossStatistics Statistics(Tensor valid, Tensor eff, Tensor ratio, Tensor? kl, Tensor adv)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var n = (long)eff.Sum().Item<double>();
        if (n == 0) return new GrpoLossStatistics(0, 1, 1, 0, 0, 0, 0);
        double Fraction(Tensor condition) => condition.LogicalAnd(valid).Sum().To(ScalarType.Float64).Item<double>() / n;
        var ones = TorchOps.OnesLike(ratio);
        var meanRatio = ratio.Mul(eff).Sum().Item<double>() / n;
        var maxRatio = TorchOps.Where(valid, ratio, ones.Neg()).Max().Item<double>();
        var meanKl = kl is null ? 0.0 : kl.Mul(eff).Sum().Item<double>() / n;
        var low = Fraction(adv.Lt(0.0).LogicalAnd(ratio.Lt(1.0 - Options.EpsilonLow)));
        var high = Fraction(adv.Gt(0.0).LogicalAnd(ratio.Gt(1.0 + Options.EpsilonHigh)));
        var dual = Options.DualClip is { } c ? Fraction(adv.Lt(0.0).LogicalAnd(ratio.Gt(c))) : 0.0;
        return new GrpoLossStatistics(n, meanRatio, maxRatio, meanKl, low, high, dual);
    }

    private static (long B, long T) CheckShapes(Tensor logProbs, Tensor? old, Tensor adv, Tensor mask, Tensor? reference, Tensor? truncated)
    {
        var s = logProbs.Shape;
        bool Same(Tensor? x) => x is null || x.Shape.AsSpan().SequenceEqual(s);
        var advOk = (adv.Dim == 1 && s.Length == 2 && adv.Size(0) == s[0]) || adv.Shape.AsSpan().SequenceEqual(s);
        var truncOk = truncated is null || (truncated.Dim == 1 && s.Length == 2 && truncated.Size(0) == s[0]);
        if (s.Length != 2 || !Same(old) || !Same(mask) || !Same(reference) || !advOk || !truncOk)
        {
            static string Sh(Tensor? x) => x is null ? "none" : $"[{string.Join(", ", x.Shape)}]";
            throw new ArgumentException(
                $"GrpoLoss expects log-probs, old log-probs, loss mask and reference log-probs of one (B, T) shape, advantages (B, T) or (B) and truncated flags (B); " +
                $"got log-probs {Sh(logProbs)}, old {Sh(old)}, mask {Sh(mask)}, reference {Sh(reference)}, advantages {Sh(adv)}, truncated {Sh(truncated)}.",
                nameof(logProbs));
        }

        return (s[0], s[1]);
    }
}
