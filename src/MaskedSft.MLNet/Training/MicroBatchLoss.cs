// One micro-batch's loss (with its graph) and the detached per-row numbers behind metrics and hard examples.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training;

/// <summary>What an <see cref="ITrainingObjective{TBatch}"/> returns for one micro-batch. Disposing frees every tensor (they
/// also belong to the dispose scope open when they were made).</summary>
/// <param name="Loss">() the micro-batch's share of the step's loss, with its autograd graph.</param>
/// <param name="RowLoss">(B) float32, detached: each row's score for metrics and hard examples (for SFT, the masked mean
/// cross-entropy of its supervised targets before advantage weighting; 0 for a row without any).</param>
/// <param name="RowTargets">(B) the supervised targets of each row; rows with none are not hard-example samples.</param>
/// <param name="CorrectTargets">() detached: how many supervised targets the argmax predicts.</param>
/// <param name="Positions">Input positions the micro-batch processed (B x T), for throughput.</param>
public sealed record MicroBatchLoss(Tensor Loss, Tensor RowLoss, Tensor RowTargets, Tensor CorrectTargets, long Positions) : IDisposable
{
    /// <summary>The micro-batch loss of a masked-head SFT output: its loss, each row's masked mean cross-entropy of its
    /// supervised targets (before advantage weighting), their count and the argmax hits. Call it under a no-grad scope.</summary>
    /// <param name="output">The loss output (<c>WeightedSftLoss.ComputeFromHidden</c>).</param>
    /// <param name="positions">Input positions processed (B x T).</param>
    /// <returns>The micro-batch loss (tensors in the caller's dispose scope).</returns>
    public static MicroBatchLoss FromMaskedLm(Losses.MaskedLmOutput output, long positions)
    {
        ArgumentNullException.ThrowIfNull(output);
        var correct = output.Predictions.Eq(output.SelectedTargets).Sum();                             // ()
        var rowTargets = output.EffectiveMask.Sum(1);                                                // (B)
        var rowLoss = output.TokenNll.Sum(1).Div(rowTargets.ClampMin(1.0)).To(ScalarType.Float32);   // (B)
        return new MicroBatchLoss(output.Loss, rowLoss, rowTargets, correct, positions);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        RowLoss.Dispose();
        RowTargets.Dispose();
        CorrectTargets.Dispose();
    }
}
