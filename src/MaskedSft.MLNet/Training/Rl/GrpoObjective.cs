// GRPO as a training objective on RlBatches: policy log-probs through the masked-only head (per-row temperature), the
// reference as the same LoRA model with adapters disabled (or a given model, or the batch's), GrpoLoss, step statistics.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// The GRPO step for <see cref="TrainingEngine{TBatch}"/>: for each micro-batch the policy's hidden states of the inputs,
/// <see cref="TokenLogProbs.FromHidden"/> at the trained targets (logits divided by each row's sampling temperature), then
/// <see cref="GrpoLoss"/> against the batch's old / inference log-probs (the detached policy when it has none) with the
/// batch's token advantages. The KL term (β &gt; 0) uses, in order: the batch's reference log-probs; the reference model
/// given; or — for a <see cref="LoraCausalLm"/> policy — the same model with its adapters disabled (the base model, no
/// second copy in memory). The loss denominators (trained tokens and sequences) are counted over the whole accumulation
/// window in <see cref="PrepareStep"/>, so k micro-batches give the gradient of one batch. <see cref="LastStep"/> holds the
/// step's ratio / KL / clip statistics.
/// </summary>
public sealed class GrpoObjective : ITrainingObjective<RlBatch>
{
    private readonly GrpoLoss _loss;
    private readonly ICausalLm? _reference;
    private LossNormalizer _normalizer;
    private int _windowSize = 1;

    /// <summary>Creates the objective.</summary>
    /// <param name="policy">The model trained (a <see cref="LoraCausalLm"/> for adapter training).</param>
    /// <param name="loss">The loss options; null = defaults (grpo, ε = 0.2, no KL).</param>
    /// <param name="reference">A separate reference model for the KL term; null = the LoRA base or the batch's log-probs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss option is out of range.</exception>
    public GrpoObjective(ICausalLm policy, GrpoLossOptions? loss = null, ICausalLm? reference = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        _loss = new GrpoLoss(loss);
        _reference = reference;
    }

    /// <summary>The model trained.</summary>
    public ICausalLm Policy { get; }

    /// <summary>The loss options.</summary>
    public GrpoLossOptions LossOptions => _loss.Options;

    /// <summary>The statistics of the step prepared last (filled as its micro-batches are computed).</summary>
    public GrpoStepStatistics LastStep { get; private set; } = new();

    /// <summary>Counts the window's trained tokens and sequences (after truncation masking) and starts new statistics.</summary>
    /// <param name="window">The step's micro-batches.</param>
    /// <returns>The trained tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="window"/> is null.</exception>
    public long PrepareStep(IReadOnlyList<RlBatch> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var (tokens, sequences) = RlBatch.CountTrained(window, _loss.Options.MaskTruncatedCompletions);
        _normalizer = new LossNormalizer(tokens, sequences, _loss.Options.MaxCompletionLength);
        _windowSize = Math.Max(1, window.Count);
        LastStep = new GrpoStepStatistics();
        return tokens;
    }

    /// <summary>The micro-batch's share of the step's loss and its per-row mean per-token loss.</summary>
    /// <param name="batch">A micro-batch of the prepared window.</param>
    /// <returns>The loss and statistics (caller's dispose scope); CorrectTargets is 0 (no argmax in the masked RL path).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The KL term needs reference log-probs that nothing provides.</exception>
    public MicroBatchLoss Compute(RlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var t = RlBatchTensors.From(batch, Policy.Device);
        var selected = EffectiveMask.Of(t.TargetIds, t.LossMask, RlBatch.IgnoreIndex);                  // (B, T)
        var logProbs = PolicyLogProbs(Policy, t, selected);                                               // (B, T)
        var reference = _loss.Options.KlBeta > 0 ? ReferenceLogProbs(t, selected) : null;                 // (B, T)
        var result = _loss.Compute(logProbs, t.OldLogProbs, t.Advantages, t.LossMask.Mul(selected.To(ScalarType.Float32)), reference, t.Truncated, _normalizer);
        var loss = _loss.Options.Aggregation == GrpoAggregation.Bnpo ? result.Loss.Div((double)_windowSize) : result.Loss;
        using var noGrad = new NoGradScope();
        var (diffSum, diffMax, diffTokens) = InferenceDifference(logProbs.Detach(), t.OldLogProbs, result.EffectiveMask);
        LastStep.Add(result.Statistics, reference is not null, diffSum, diffMax, diffTokens);
        var rowTargets = result.EffectiveMask.Sum(1);                                                   // (B)
        var rowLoss = result.PerTokenLoss.Detach().Sum(1).Div(rowTargets.ClampMin(1.0)).To(ScalarType.Float32); // (B)
        return new MicroBatchLoss(loss, rowLoss, rowTargets, TorchOps.Scalar(0.0), (long)batch.Rows * batch.Length);
    }

    /// <summary>Step-0 probe: the ratio against the batch's old / inference log-probs and the KL (estimator of the options)
    /// against the reference, without gradients or any update. With a fresh LoRA policy (B = 0) and inference log-probs
    /// from the same weights, the ratio is 1 and the KL 0; anything else points at a policy / reference / inference mismatch.</summary>
    /// <param name="batch">A batch (its old log-probs are used when present).</param>
    /// <returns>(mean ratio, max |ratio - 1|, mean KL, max |KL|) over trained tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">No reference log-probs are available.</exception>
    public (double MeanRatio, double MaxRatioDeviation, double MeanKl, double MaxAbsKl) Probe(RlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var t = RlBatchTensors.From(batch, Policy.Device);
        var selected = EffectiveMask.Of(t.TargetIds, t.LossMask, RlBatch.IgnoreIndex);
        var eff = selected.To(ScalarType.Float32);
        var n = Math.Max(1.0, eff.Sum().Item<double>());
        var logProbs = PolicyLogProbs(Policy, t, selected);
        var old = t.OldLogProbs is null ? logProbs : TorchOps.Where(selected, t.OldLogProbs, logProbs);
        var ratio = logProbs.Sub(old).Exp();
        var reference = ReferenceLogProbs(t, selected);
        var kl = TorchOps.Where(selected, KlEstimators.Compute(logProbs, reference, _loss.Options.KlEstimator), TorchOps.ZerosLike(logProbs));
        return (ratio.Mul(eff).Sum().Item<double>() / n, ratio.Sub(1.0).Abs().Mul(eff).Max().Item<double>(),
            kl.Sum().Item<double>() / n, kl.Abs().Max().Item<double>());
    }

    private static Tensor PolicyLogProbs(ICausalLm model, RlBatchTensors t, Tensor selected)
    {
        var hidden = model.ForwardHidden(new CausalLmInput(t.InputIds));                                 // (B, T, C)
        return TokenLogProbs.FromHidden(hidden, model.HeadWeight, t.TargetIds, selected, t.Temperatures); // (B, T)
    }

    private Tensor ReferenceLogProbs(RlBatchTensors t, Tensor selected)
    {
        if (t.ReferenceLogProbs is { } given) return given;
        using var noGrad = new NoGradScope();
        if (_reference is not null) return PolicyLogProbs(_reference, t, selected);
        if (Policy is LoraCausalLm lora)
        {
            using var disabled = lora.Adapters.DisableAdapters();
            return PolicyLogProbs(lora, t, selected);
        }

        throw new InvalidOperationException(
            "the KL term needs reference log-probs: the batch carries none, no reference model was given and the policy is not a LoRA model. " +
            "Hint: train with LoRA (the base is the reference), pass a reference model, or set KlBeta = 0.");
    }

    private static (double Sum, double Max, long Tokens) InferenceDifference(Tensor logProbs, Tensor? inference, Tensor eff)
    {
        if (inference is null) return (0, 0, 0);
        var diff = logProbs.Sub(inference).Abs().Mul(eff);
        var tokens = (long)eff.Sum().Item<double>();
        return tokens == 0 ? (0, 0, 0) : (diff.Sum().Item<double>(), diff.Max().Item<double>(), tokens);
    }
}
