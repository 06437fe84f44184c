// What the training engine optimizes: a micro-batch's loss and per-row statistics, from the objective's model(s) and the batch.
namespace MaskedSft.MLNet.Training;

/// <summary>
/// The pluggable part of <see cref="TrainingEngine{TBatch}"/>: turns one micro-batch into the loss to back-propagate and
/// the per-row numbers the engine's metrics and hard-example tracking read. An objective holds the model(s) it evaluates
/// (the policy, and for RL objectives a reference model). Implementations: <see cref="SftObjective"/> (masked and
/// advantage-weighted SFT on episode batches); the testing kit's mock objective; <see cref="Rl.GrpoObjective"/> (GRPO on RL batches).
/// </summary>
/// <typeparam name="TBatch">The micro-batch type the objective reads (e.g. <see cref="Data.EpisodeBatch"/>).</typeparam>
public interface ITrainingObjective<in TBatch>
{
    /// <summary>Called once per optimizer step, before any <see cref="Compute"/>, with every micro-batch of the accumulation
    /// window: the place to compute denominators over the whole window (so k micro-batches of B rows give exactly the
    /// gradient of one batch of k·B rows).</summary>
    /// <param name="window">The step's micro-batches, in the order <see cref="Compute"/> will see them.</param>
    /// <returns>The number of supervised targets in the window (the denominator of the step's token accuracy).</returns>
    long PrepareStep(IReadOnlyList<TBatch> window);

    /// <summary>The loss of one micro-batch of the window prepared last, as its share of the step's loss (the engine sums
    /// the shares and back-propagates each one), and its per-row statistics. The tensors join the caller's dispose scope.</summary>
    /// <param name="batch">The micro-batch.</param>
    /// <returns>The loss and statistics.</returns>
    MicroBatchLoss Compute(TBatch batch);
}
