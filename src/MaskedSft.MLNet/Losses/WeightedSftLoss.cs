// Token-level advantage-weighted SFT loss (Atropos style): label shift, loss mask, ignore index, advantages, aggregation.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Advantage-weighted supervised fine-tuning loss.
/// <para><b>Positions.</b> <see cref="Compute"/> takes UNSHIFTED tokens (B, T) and shifts inside: <c>logits[b, t]</c>
/// predicts <c>tokens[b, t + 1]</c>. <c>lossMasks[b, i]</c> and <c>advantages[b, i]</c> refer to token i AS A TARGET (the
/// episode dataset's convention), so target positions 1..T-1 use <c>lossMasks[:, 1:]</c> and <c>advantages[:, 1:]</c>;
/// column 0 is never used. <see cref="ComputeAligned"/> takes the loader's already shifted (Y, mask) instead.</para>
/// <para><b>Per token.</b> <c>l = CE(logits / temperature, target) * a</c> where the effective mask is
/// <c>(mask != 0) &amp; (target != IgnoreIndex)</c> and <c>a</c> the (normalised) advantage; 0 at other positions.
/// Advantages may be (B, T) per token or (B,) per sequence (broadcast over its tokens); none means 1 everywhere.</para>
/// <para><b>Reduction.</b> Sum: <c>sum(l)</c>. None: <c>l</c>. Mean: see <see cref="LossAggregation"/>, with the
/// denominators from a <see cref="LossNormalizer"/> (given, for gradient accumulation; else counted from this call).
/// An empty effective mask gives exactly 0 with zero gradients.</para>
/// </summary>
public sealed partial class WeightedSftLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="options">Options; null uses the defaults (mean, token-mean, no normalisation, temperature 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public WeightedSftLoss(WeightedSftLossOptions? options = null)
    {
        Options = options ?? new WeightedSftLossOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public WeightedSftLossOptions Options { get; }

    /// <summary>Computes the loss from unshifted tokens (label shifting inside).</summary>
    /// <param name="logits">(B, T, V) floating logits; position t predicts token t + 1.</param>
    /// <param name="tokens">(B, T) integer token ids (IgnoreIndex allowed).</param>
    /// <param name="lossMasks">(B, T); <c>lossMasks[b, i] != 0</c> trains token i as a target.</param>
    /// <param name="advantages">(B, T) per token or (B,) per sequence, or null for all ones.</param>
    /// <param name="normalizer">Global denominators for Mean (gradient accumulation), or null to count this call.</param>
    /// <returns>The result over target positions, (B, T-1).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes are inconsistent, or T &lt; 2.</exception>
    public WeightedSftLossResult Compute(Tensor logits, Tensor tokens, Tensor lossMasks, Tensor? advantages = null, LossNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(lossMasks);
        var (b, t) = CheckInputs(logits, tokens, lossMasks, advantages, "Compute");
        if (t < 2)
            throw new ArgumentException($"WeightedSftLoss.Compute needs at least 2 positions to shift labels; got T = {t}.", nameof(tokens));
        using var scope = new DisposeScope();
        var shiftedLogits = logits.Slice(1, 0, t - 1);               // (B, T-1, V) predicts tokens 1..T-1
        var targets = tokens.Slice(1, 1, t);                         // (B, T-1)
        var mask = lossMasks.Slice(1, 1, t);                         // (B, T-1)
        var adv = advantages is null ? null : Broadcast(advantages, b, t).Slice(1, 1, t); // (B, T-1)
        var result = ComputeAlignedCore(shiftedLogits, targets, mask, adv, normalizer);
        return Keep(result);
    }

    /// <summary>Computes the loss from ALIGNED targets (no shift): <c>logits[b, t]</c> predicts <c>targets[b, t]</c>,
    /// and <c>mask[b, t]</c> / <c>advantages[b, t]</c> refer to that target (the episode loader's Y, mask and advantages).</summary>
    /// <param name="logits">(B, T, V) floating logits.</param>
    /// <param name="targets">(B, T) integer targets (IgnoreIndex allowed).</param>
    /// <param name="mask">(B, T) loss mask.</param>
    /// <param name="advantages">(B, T), (B,) or null.</param>
    /// <param name="normalizer">Global denominators for Mean, or null.</param>
    /// <returns>The result, (B, T).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes are inconsistent.</exception>
    public WeightedSftLossResult ComputeAligned(Tensor logits, Tensor targets, Tensor mask, Tensor? advantages = null, LossNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(mask);
        var (b, t) = CheckInputs(logits, targets, mask, advantages, "ComputeAligned");
        using var scope = new DisposeScope();
        var adv = advantages is null ? null : Broadcast(advantages, b, t);
        return Keep(ComputeAlignedCore(logits, targets, mask, adv, normalizer));
    }

    /// <summary>
    /// Finishes the loss from per-token negative log-likelihoods that were computed elsewhere (e.g. by a model that only
    /// projects supervised positions onto the vocabulary): applies advantages, normalisation and the reduction.
    /// </summary>
    /// <param name="tokenNll">(B, T) per-token cross-entropy, any value at positions whose effective mask is 0.</param>
    /// <param name="effectiveMask">(B, T) 1 where trained, else 0 (the dtype of <paramref name="tokenNll"/>).</param>
    /// <param name="advantages">(B, T), (B,) or null.</param>
    /// <param name="normalizer">Global denominators for Mean, or null.</param>
    /// <returns>The result, (B, T).</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public WeightedSftLossResult FromTokenLosses(Tensor tokenNll, Tensor effectiveMask, Tensor? advantages = null, LossNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(tokenNll);
        ArgumentNullException.ThrowIfNull(effectiveMask);
        var shape = tokenNll.Shape;
        if (shape.Length != 2 || !shape.AsSpan().SequenceEqual(effectiveMask.Shape))
        {
            throw new ArgumentException(
                $"WeightedSftLoss.FromTokenLosses expects tokenNll and effectiveMask of one (B, T) shape; got [{string.Join(", ", shape)}] and [{string.Join(", ", effectiveMask.Shape)}].",
                nameof(effectiveMask));
        }

        using var scope = new DisposeScope();
        var adv = advantages is null ? null : Broadcast(advantages, shape[0], shape[1]);
        var valid = effectiveMask.Ne(0L);
        var eff = effectiveMask.DType == tokenNll.DType ? effectiveMask.Alias() : effectiveMask.To(tokenNll.DType);
        return Keep(Finish(tokenNll, valid, eff, adv, normalizer));
    }

    /// <summary>
    /// The advantages used by the loss: normalised per <paramref name="mode"/> over valid positions,
    /// <c>(a - mean) / (std + eps)</c> with the population std, 0 for a group whose valid values are all equal, and 0 at
    /// invalid positions.
    /// </summary>
    /// <param name="advantages">(B, T) advantages.</param>
    /// <param name="valid">(B, T) bool: positions that count.</param>
    /// <param name="mode">Batch, Sequence or None.</param>
    /// <param name="epsilon">Added to the standard deviation.</param>
    /// <returns>(B, T) advantages in the advantages' dtype.</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The mode is not defined.</exception>
    public static Tensor NormalizeAdvantages(Tensor advantages, Tensor valid, AdvantageNormalization mode, double epsilon)
    {
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(valid);
        using var scope = new DisposeScope();
        var zeros = TorchOps.ZerosLike(advantages);
        var a = TorchOps.Where(valid, advantages, zeros);
        Tensor result;
        switch (mode)
        {
            case AdvantageNormalization.None:
                result = a;
                break;
            case AdvantageNormalization.Batch:
            case AdvantageNormalization.Sequence:
                var shape = advantages.Shape;
                var rows = mode == AdvantageNormalization.Batch ? a.Reshape(1, -1) : a;         // (G, n)
                var v = mode == AdvantageNormalization.Batch ? valid.Reshape(1, -1) : valid;  // (G, n)
                var eff = v.To(advantages.DType);
                var count = eff.Sum(1, keepDim: true).ClampMin(1.0);                           // (G, 1)
                var mean = rows.Sum(1, keepDim: true).Div(count);                              // (G, 1)
                var centered = TorchOps.Where(v, rows.Sub(mean), TorchOps.ZerosLike(rows));
                var std = centered.Square().Sum(1, keepDim: true).Div(count).Sqrt();           // (G, 1)
                var high = TorchOps.Where(v, rows, TorchOps.FullLike(rows, double.NegativeInfinity)).Max(1, keepDim: true).Values;
                var low = TorchOps.Where(v, rows, TorchOps.FullLike(rows, double.PositiveInfinity)).Min(1, keepDim: true).Values;
                var constant = high.Le(low);                                                   // (G, 1): all equal, or empty
                var normalized = centered.Div(std.Add(epsilon));
                var keep = v.LogicalAnd(constant.LogicalNot());
                result = TorchOps.Where(keep, normalized, TorchOps.ZerosLike(rows)).Reshape(shape);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown advantage normalization.");
        }

        return result.MoveToOuterScope();
    }

    /// <summary>Averages weighted per-token losses by an aggregation mode (see <see cref="LossAggregation"/>).</summary>
    /// <param name="weighted">(B, T) weighted per-token losses, 0 at invalid positions.</param>
    /// <param name="effectiveMask">(B, T) 1 where trained, in the dtype of <paramref name="weighted"/>.</param>
    /// <param name="mode">The aggregation.</param>
    /// <param name="normalizer">Global denominators, or null to count them from <paramref name="effectiveMask"/>.</param>
    /// <param name="normLength">L of seq-mean-token-sum-norm, or null for T (overridden by the normalizer's).</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The mode is not defined.</exception>
    public static Tensor Aggregate(Tensor weighted, Tensor effectiveMask, LossAggregation mode, LossNormalizer? normalizer = null, int? normLength = null)
    {
        ArgumentNullException.ThrowIfNull(weighted);
        ArgumentNullException.ThrowIfNull(effectiveMask);
        using var scope = new DisposeScope();
        var seqTokens = effectiveMask.Sum(1);                                                // (B)
        Tensor Tokens() => TokenCount(effectiveMask, normalizer, weighted.DType);
        Tensor Sequences() => SequenceCount(seqTokens, normalizer, weighted.DType);
        var loss = mode switch
        {
            LossAggregation.TokenMean => weighted.Sum().Div(Tokens()),
            LossAggregation.SequenceMeanTokenMean => weighted.Sum(1).Div(seqTokens.ClampMin(1.0)).Sum().Div(Sequences()),
            LossAggregation.SequenceMeanTokenSum => weighted.Sum().Div(Sequences()),
            LossAggregation.SequenceMeanTokenSumNorm =>
                weighted.Sum().Div((double)NormLengthOf(weighted, normalizer, normLength)).Div(Sequences()),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown loss aggregation."),
        };
        return loss.MoveToOuterScope();
    }

    /// <summary>The per-position factors of an aggregation: <see cref="Aggregate"/> of any weighted per-token losses
    /// equals the sum of those losses times these factors (the chunked head's coefficients, which must be known before the
    /// losses are).</summary>
    /// <param name="effectiveMask">(B, T) 1 where trained (float32 or float64).</param>
    /// <param name="mode">The aggregation.</param>
    /// <param name="normalizer">Global denominators, or null to count them from <paramref name="effectiveMask"/>.</param>
    /// <param name="normLength">L of seq-mean-token-sum-norm, or null for T (overridden by the normalizer's).</param>
    /// <returns>(B, T) factors, 0 where not trained.</returns>
    private static Tensor AggregationWeights(Tensor effectiveMask, LossAggregation mode, LossNormalizer? normalizer, int? normLength)
    {
        using var scope = new DisposeScope();
        var seqTokens = effectiveMask.Sum(1);                                                // (B)
        Tensor Tokens() => TokenCount(effectiveMask, normalizer, effectiveMask.DType);
        Tensor Sequences() => SequenceCount(seqTokens, normalizer, effectiveMask.DType);
        var factors = mode switch
        {
            LossAggregation.TokenMean => effectiveMask.Div(Tokens()),
            LossAggregation.SequenceMeanTokenMean => effectiveMask.Div(seqTokens.Unsqueeze(1).ClampMin(1.0)).Div(Sequences()),
            LossAggregation.SequenceMeanTokenSum => effectiveMask.Div(Sequences()),
            LossAggregation.SequenceMeanTokenSumNorm =>
                effectiveMask.Div((double)NormLengthOf(effectiveMask, normalizer, normLength)).Div(Sequences()),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown loss aggregation."),
        };
        return factors.MoveToOuterScope();
    }

    /// <summary>The token denominator of the aggregations: the normaliser's global count, else the supervised positions
    /// of <paramref name="effectiveMask"/> (at least 1), in <paramref name="dtype"/>.</summary>
    private static Tensor TokenCount(Tensor effectiveMask, LossNormalizer? normalizer, ScalarType dtype) => normalizer is { } n
        ? TorchOps.Scalar(Math.Max(n.SupervisedTokens, 1), dtype, effectiveMask.Device)
        : effectiveMask.Sum().ClampMin(1.0);

    /// <summary>The sequence denominator of the aggregations: the normaliser's global count, else the rows with a
    /// supervised position (at least 1), from the rows' token counts <paramref name="sequenceTokens"/> (B).</summary>
    private static Tensor SequenceCount(Tensor sequenceTokens, LossNormalizer? normalizer, ScalarType dtype) => normalizer is { } n
        ? TorchOps.Scalar(Math.Max(n.SupervisedSequences, 1), dtype, sequenceTokens.Device)
        : sequenceTokens.Gt(0L).Sum(0, dtype: dtype).ClampMin(1.0);

    /// <summary>L of seq-mean-token-sum-norm: the normaliser's, else the option's, else the positions per row.</summary>
    private static int NormLengthOf(Tensor tokens, LossNormalizer? normalizer, int? normLength) =>
        normalizer?.NormLength ?? normLength ?? (int)tokens.Size(1);

    /// <summary>The advantages the loss weights each position by: the given ones (already (B, T)) in
    /// <paramref name="like"/>'s dtype, or ones, normalised per <see cref="WeightedSftLossOptions.AdvantageNormalization"/>.</summary>
    private Tensor UsedAdvantages(Tensor? advantages, Tensor valid, Tensor like) =>
        NormalizeAdvantages(advantages is null ? TorchOps.OnesLike(like) : advantages.To(like.DType), valid, Options.AdvantageNormalization, Options.Epsilon);

    private WeightedSftLossResult ComputeAlignedCore(Tensor logits, Tensor targets, Tensor mask, Tensor? advantages, LossNormalizer? normalizer)
    {
        var shape = targets.Shape;                                          // (B, T)
        var vocab = logits.Size(-1);
        var t = targets.DType == ScalarType.Int64 ? targets : targets.To(ScalarType.Int64);
        var valid = EffectiveMask.Of(t, mask, Options.IgnoreIndex);         // (B, T) bool
        var eff = valid.To(logits.DType);
        var safe = TorchOps.Where(valid, t, TorchOps.ZerosLike(t));
        var scaled = Options.Temperature == 1.0 ? logits : logits.Div(Options.Temperature);
        var nll = TorchOps.CrossEntropy(scaled.Reshape(-1, vocab), safe.Reshape(-1), Reduction.None).Reshape(shape); // (B, T)
        return Finish(nll, valid, eff, advantages, normalizer);
    }

    private WeightedSftLossResult Finish(Tensor nll, Tensor valid, Tensor eff, Tensor? advantages, LossNormalizer? normalizer)
    {
        var perToken = TorchOps.Where(valid, nll, TorchOps.ZerosLike(nll));                                 // (B, T)
        var adv = UsedAdvantages(advantages, valid, nll);                                                   // (B, T)
        var weighted = perToken.Mul(adv);                                                                 // (B, T)
        var loss = Options.Reduction switch
        {
            LossReduction.None => weighted.Alias(),
            LossReduction.Sum => weighted.Sum(),
            LossReduction.Mean => Aggregate(weighted, eff, Options.Aggregation, normalizer, Options.NormLength),
            _ => throw new InvalidOperationException($"Unknown reduction {Options.Reduction}."),
        };
        return new WeightedSftLossResult(loss, weighted, eff, adv);
    }

    private static WeightedSftLossResult Keep(WeightedSftLossResult r)
    {
        r.Loss.MoveToOuterScope();
        r.PerTokenLoss.MoveToOuterScope();
        r.EffectiveMask.MoveToOuterScope();
        r.Advantages.MoveToOuterScope();
        return r;
    }

    private static Tensor Broadcast(Tensor advantages, long b, long t) =>
        advantages.Dim == 1 ? advantages.Unsqueeze(1).Expand(b, t) : advantages;

    private static (long B, long T) CheckInputs(Tensor logits, Tensor tokens, Tensor mask, Tensor? advantages, string op)
    {
        var ls = logits.Shape;
        var ts = tokens.Shape;
        var ms = mask.Shape;
        if (ls.Length != 3 || ts.Length != 2 || ls[0] != ts[0] || ls[1] != ts[1] || !ts.AsSpan().SequenceEqual(ms))
        {
            throw new ArgumentException(
                $"WeightedSftLoss.{op} expects logits (B, T, V), tokens (B, T) and loss masks (B, T); got logits [{string.Join(", ", ls)}], " +
                $"tokens [{string.Join(", ", ts)}], masks [{string.Join(", ", ms)}].", nameof(logits));
        }

        if (advantages is not null)
        {
            var a = advantages.Shape;
            var ok = (a.Length == 1 && a[0] == ts[0]) || (a.Length == 2 && a.AsSpan().SequenceEqual(ts));
            if (!ok)
            {
                throw new ArgumentException(
                    $"WeightedSftLoss.{op} expects advantages (B, T) = [{string.Join(", ", ts)}] or (B,) = [{ts[0]}]; got [{string.Join(", ", a)}]. " +
                    "Hint: advantages[b, i] refers to token i as a target, like the loss mask.",
                    nameof(advantages));
            }
        }

        return (ts[0], ts[1]);
    }
}
