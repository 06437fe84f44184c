// Masked (and advantage-weighted) SFT as a training objective: episode batches through a causal LM and the masked-only head.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Supervised fine-tuning on <see cref="EpisodeBatch"/>es: the model's hidden states of X, then
/// <see cref="WeightedSftLoss.ComputeFromHidden"/> on Y, the loss mask and (when the batch carries them) the advantages,
/// with one <see cref="LossNormalizer"/> over the whole accumulation window (<see cref="EffectiveMask"/> counted on the
/// host), so accumulated micro-batches give exactly the full batch's gradient. A row's score is the masked mean
/// cross-entropy of its supervised targets before advantage weighting (so a negative advantage does not make it look easy).
/// Packed batches (<see cref="EpisodeBatch.IsPacked"/>) pass their document ids and positions to the model, so each
/// sample sees only itself, and a packed row's score is the mean over all its samples' supervised targets.
/// <para>Data parallel: with a process group of W ranks the window's supervised tokens and sequences are summed over the
/// ranks (one all-reduce) before the normalizer is built, so each rank's loss is its share of the global batch's loss and
/// the sum of the ranks' gradients is exactly the gradient of the W-times-larger batch.</para>
/// </summary>
public sealed class SftObjective : ITrainingObjective<EpisodeBatch>
{
    private readonly WeightedSftLoss _loss;
    private readonly WeightedSftLoss _sumLoss;
    private readonly ProcessGroup? _group;
    private LossNormalizer _normalizer;

    /// <summary>Creates the objective.</summary>
    /// <param name="model">The model trained.</param>
    /// <param name="loss">Reduction, aggregation, advantage normalisation, temperature and ignore index; null = token-mean.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <param name="group">Data-parallel ranks whose windows form one global batch; null (or a world of one) = this process only.</param>
    /// <exception cref="ArgumentOutOfRangeException">A loss option is out of range.</exception>
    public SftObjective(ICausalLm model, WeightedSftLossOptions? loss = null, ProcessGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _group = group is { WorldSize: > 1 } ? group : null;
        _loss = new WeightedSftLoss(loss);
        _sumLoss = new WeightedSftLoss(_loss.Options with { Reduction = LossReduction.Sum, AdvantageNormalization = AdvantageNormalization.None });
    }

    /// <summary>The model trained.</summary>
    public ICausalLm Model { get; }

    /// <summary>The loss settings.</summary>
    public WeightedSftLossOptions LossOptions => _loss.Options;

    /// <summary>The supervised tokens and sequences of the whole accumulation window (<see cref="EffectiveMask"/>), summed
    /// over the ranks of the process group when there is one.</summary>
    /// <param name="window">The step's micro-batches.</param>
    /// <returns>The window's supervised targets (of every rank).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="window"/> is null.</exception>
    /// <exception cref="DistributedException">The all-reduce of the counts failed (a rank ended or timed out).</exception>
    public long PrepareStep(IReadOnlyList<EpisodeBatch> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        long tokens = 0, sequences = 0;
        foreach (var batch in window)
        {
            for (var r = 0; r < batch.Rows; r++)
            {
                var n = EffectiveMask.Count(batch.TargetRow(r), batch.LossMaskRow(r), _loss.Options.IgnoreIndex);
                tokens += n;
                if (n > 0) sequences++;
            }
        }

        if (_group is not null) (tokens, sequences) = SumOverRanks(_group, tokens, sequences);
        _normalizer = new LossNormalizer(tokens, sequences, _loss.Options.NormLength);
        return tokens;
    }

    /// <summary>The micro-batch's share of the window's loss, its rows' masked mean cross-entropy and supervised targets, and
    /// the argmax hits.</summary>
    /// <param name="batch">A filled micro-batch of the prepared window.</param>
    /// <returns>The loss and statistics (in the caller's dispose scope).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The batch has no rows.</exception>
    public MicroBatchLoss Compute(EpisodeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var output = Forward(_loss, batch, withAdvantages: true, _normalizer);
        using var noGrad = new NoGradScope();
        return MicroBatchLoss.FromMaskedLm(output, (long)batch.Rows * batch.BlockSize);
    }

    /// <summary>The summed (not averaged) cross-entropy of a batch's supervised targets and their number, without advantage
    /// weighting, for a token-mean evaluation over many batches. Call it in evaluation mode under a no-grad scope.</summary>
    /// <param name="batch">A filled batch.</param>
    /// <returns>The loss sum and the supervised targets.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The batch has no rows.</exception>
    public (double LossSum, long Targets) Evaluate(EpisodeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = new DisposeScope();
        var output = Forward(_sumLoss, batch, withAdvantages: false, normalizer: null);
        return (output.Loss.Item<double>(), (long)output.EffectiveMask.Sum().Item<double>());
    }

    private static (long Tokens, long Sequences) SumOverRanks(ProcessGroup group, long tokens, long sequences)
    {
        using var scope = new DisposeScope();
        var counts = Tensor.FromArray(new long[] { tokens, sequences }, 2).To(group.Device); // (2)
        group.AllReduce(counts, ReduceOp.Sum);
        var total = counts.To(Device.Cpu).ToArray<long>();
        return (total[0], total[1]);
    }

    private MaskedLmOutput Forward(WeightedSftLoss loss, EpisodeBatch batch, bool withAdvantages, LossNormalizer? normalizer)
    {
        var t = BatchTensors.From(batch, Model.Device);
        var input = new CausalLmInput(t.Inputs) { DocumentIds = t.DocumentIds, PositionIds = t.PositionIds };
        var hidden = Model.ForwardHidden(input);                                                       // (B, T, C)
        var positions = new List<long>();
        for (var r = 0; r < batch.Rows; r++)
            EffectiveMask.AddPositions(batch.TargetRow(r), batch.LossMaskRow(r), loss.Options.IgnoreIndex, (long)r * batch.BlockSize, positions);
        var keep = Tensor.FromSpan<long>(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(positions), [positions.Count], Model.Device); // (N), no device sync
        return loss.ComputeFromHidden(hidden, Model.HeadWeight, t.Targets, t.LossMask, withAdvantages ? t.Advantages : null, normalizer, keep);
    }
}
