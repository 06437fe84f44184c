// What one on-policy GRPO step measured: the engine's metrics, the batch diagnostics, advantages, policy statistics, probe.
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>One step of <see cref="OnPolicyGrpoTrainer"/>.</summary>
/// <param name="Metrics">The engine's step metrics (loss, grad norm, learning rate, ...).</param>
/// <param name="Batch">Rewards, advantages, lengths and truncation of the step's rollout.</param>
/// <param name="Advantages">Groups and zero-variance groups of the rollout.</param>
/// <param name="Policy">Ratio, KL, clip fractions and trainer-vs-inference log-prob difference.</param>
/// <param name="Probe">The step-0 probe (first step only): ratio and KL of the untrained policy, or null.</param>
public sealed record OnPolicyGrpoStep(StepMetrics Metrics, RlBatchDiagnostics Batch, GroupAdvantageReport Advantages, GrpoStepStatistics Policy,
    (double MeanRatio, double MaxRatioDeviation, double MeanKl, double MaxAbsKl)? Probe);
