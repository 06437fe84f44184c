// The metrics of one optimizer step, as written to metrics.jsonl and shown by the console progress.
namespace MaskedSft.MLNet.Training;

/// <summary>Metrics of one optimizer step (over all its micro-batches).</summary>
/// <param name="Step">1-based index of the optimizer step that produced these numbers.</param>
/// <param name="Loss">The training loss of the step (the accumulated batch's masked loss).</param>
/// <param name="GradNorm">Global L2 norm of the gradients before clipping.</param>
/// <param name="ParamNorm">Global L2 norm of the parameters after the update.</param>
/// <param name="TokenAccuracy">Fraction of supervised targets whose argmax prediction was right.</param>
/// <param name="MaxPerSampleLoss">The largest per-sequence masked mean cross-entropy (before advantage weighting) in the step's batch.</param>
/// <param name="LearningRate">The learning rate used by the step.</param>
/// <param name="TokensPerSecond">Input tokens (B x T, all micro-batches) processed per second of wall time.</param>
/// <param name="SupervisedTokens">Number of supervised targets (effective mask 1) in the step's batch.</param>
/// <param name="ValidationLoss">The validation loss if it was evaluated after this step; otherwise null.</param>
/// <param name="HardExamples">The hard-example tracker after this step; null when tracking is off.</param>
public sealed record StepMetrics(
    long Step,
    double Loss,
    double GradNorm,
    double ParamNorm,
    double TokenAccuracy,
    double MaxPerSampleLoss,
    double LearningRate,
    double TokensPerSecond,
    long SupervisedTokens,
    double? ValidationLoss = null,
    HardExampleMetrics? HardExamples = null);
