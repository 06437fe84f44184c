// Advantage-weighted SFT (seed 002) as a training objective on RlBatches: WeightedSftLoss from hidden states, window normaliser.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// The weighted-SFT objective for RL batches (e.g. Atropos groups trained with <c>--objective weighted-sft</c>): the
/// policy's hidden states of <see cref="RlBatch.InputIds"/>, then <see cref="WeightedSftLoss.ComputeFromHidden"/> on the
/// targets, the loss mask and the batch's token advantages, with one <see cref="LossNormalizer"/> over the accumulation
/// window. The temperature is the loss options' single value (the batch's per-row temperatures are not used by this
/// objective); reductions, advantage normalisation and aggregations are <see cref="WeightedSftLossOptions"/>'.
/// </summary>
public sealed class WeightedSftRlObjective : ITrainingObjective<RlBatch>
{
    private readonly WeightedSftLoss _loss;
    private LossNormalizer _normalizer;

    /// <summary>Creates the objective.</summary>
    /// <param name="policy">The model trained.</param>
    /// <param name="loss">Loss options; null = token-mean, raw advantages, temperature 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="policy"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public WeightedSftRlObjective(ICausalLm policy, WeightedSftLossOptions? loss = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        _loss = new WeightedSftLoss((loss ?? new WeightedSftLossOptions()) with { IgnoreIndex = RlBatch.IgnoreIndex });
    }

    /// <summary>The model trained.</summary>
    public ICausalLm Policy { get; }

    /// <summary>The loss options.</summary>
    public WeightedSftLossOptions LossOptions => _loss.Options;

    /// <summary>Counts the window's trained tokens and sequences.</summary>
    /// <param name="window">The step's micro-batches.</param>
    /// <returns>The trained tokens.</returns>
    public long PrepareStep(IReadOnlyList<RlBatch> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var (tokens, sequences) = RlBatch.CountTrained(window, skipTruncated: false);
        _normalizer = new LossNormalizer(tokens, sequences, _loss.Options.NormLength);
        return tokens;
    }

    /// <summary>The micro-batch's share of the step's loss, its rows' masked mean cross-entropy and the argmax hits.</summary>
    /// <param name="batch">A micro-batch of the prepared window.</param>
    /// <returns>The loss and statistics (caller's dispose scope).</returns>
    public MicroBatchLoss Compute(RlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var t = RlBatchTensors.From(batch, Policy.Device);
        var hidden = Policy.ForwardHidden(new CausalLmInput(t.InputIds));                                   // (B, T, C)
        var output = _loss.ComputeFromHidden(hidden, Policy.HeadWeight, t.TargetIds, t.LossMask, t.Advantages, _normalizer);
        using var noGrad = new NoGradScope();
        return MicroBatchLoss.FromMaskedLm(output, (long)batch.Rows * batch.Length);
    }
}
