// Advantage-weighted SFT on RlBatch micro-batches: each becomes an EpisodeBatch and goes through the SFT objective.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Seed 002's weighted SFT for RL data (an Atropos server's groups): the rows of an <see cref="RlBatch"/> (inputs, targets,
/// loss mask, token advantages, already aligned to the targets) are copied into an <see cref="EpisodeBatch"/> and trained
/// by <see cref="SftObjective"/> with the given <see cref="WeightedSftLossOptions"/> (reduction, aggregation, advantage
/// normalisation, temperature), so the loss is exactly the dataset trainer's. Old and reference log-probs and the rows'
/// sampling temperatures are not used (the loss's own temperature applies).
/// </summary>
public sealed class RlWeightedSftObjective : ITrainingObjective<RlBatch>
{
    private readonly SftObjective _sft;
    private readonly Dictionary<RlBatch, EpisodeBatch> _converted = new(ReferenceEqualityComparer.Instance);

    /// <summary>Creates the objective.</summary>
    /// <param name="model">The model trained.</param>
    /// <param name="loss">The loss settings; null = token mean with advantages.</param>
    /// <param name="group">Data-parallel ranks, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public RlWeightedSftObjective(ICausalLm model, WeightedSftLossOptions? loss = null, ProcessGroup? group = null)
    {
        _sft = new SftObjective(model, loss, group);
    }

    /// <summary>The loss settings.</summary>
    public WeightedSftLossOptions LossOptions => _sft.LossOptions;

    /// <inheritdoc />
    public long PrepareStep(IReadOnlyList<RlBatch> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        _converted.Clear();
        var episodes = new List<EpisodeBatch>(window.Count);
        foreach (var batch in window)
        {
            var episode = ToEpisodeBatch(batch);
            _converted[batch] = episode;
            episodes.Add(episode);
        }

        return _sft.PrepareStep(episodes);
    }

    /// <inheritdoc />
    public MicroBatchLoss Compute(RlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_converted.TryGetValue(batch, out var episode))
            throw new InvalidOperationException("the micro-batch is not part of the prepared window. Hint: the engine calls PrepareStep with the whole window first.");
        return _sft.Compute(episode);
    }

    /// <summary>Copies an RL batch into an episode batch (same alignment: targets shifted, padding at the ignore index).</summary>
    /// <param name="batch">The RL batch.</param>
    /// <returns>A filled episode batch with loss mask and advantages.</returns>
    public static EpisodeBatch ToEpisodeBatch(RlBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var episode = new EpisodeBatch(batch.Rows, batch.Length, hasLossMask: true, hasAdvantages: true);
        episode.Reset(batch.Rows);
        for (var r = 0; r < batch.Rows; r++)
        {
            episode.SetRow(r, batch.Row(batch.InputIds, r), batch.Row(batch.TargetIds, r), batch.Row(batch.LossMask, r), batch.Row(batch.Advantages, r),
                batch.TargetCounts[r], episodeIndex: batch.GroupIds[r]);
        }

        return episode;
    }
}
