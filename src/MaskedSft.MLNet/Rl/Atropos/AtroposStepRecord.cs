// What one Atropos training step did: the engine's metrics, the batch's RL diagnostics, polling, and what was consumed.
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>One step of <see cref="AtroposTrainer"/>, as written to metrics.jsonl and atropos/consumed.jsonl.</summary>
/// <param name="Metrics">The engine's step metrics (loss, gradient norm, learning rate...).</param>
/// <param name="Batch">The batch's RL diagnostics (rewards, advantages, zero-std groups, context length, truncation).</param>
/// <param name="Policy">The GRPO objective's ratio / KL / clip statistics; null for weighted SFT.</param>
/// <param name="Groups">Groups in the batch.</param>
/// <param name="EmptyPolls">Empty answers (<c>{"batch": null}</c>) before the batch came; 0 for a replayed batch.</param>
/// <param name="Waited">Time spent polling for it.</param>
/// <param name="GroupIds">The groups' <c>generation_params.group_id</c> values, where present.</param>
/// <param name="Digest">The SHA-256 (hex) of the batch's groups as received.</param>
/// <param name="Replayed">True when the batch came from the spool (received before a restart), not from the server.</param>
public sealed record AtroposStepRecord(
    StepMetrics Metrics,
    RlBatchDiagnostics Batch,
    GrpoStepStatistics? Policy,
    int Groups,
    int EmptyPolls,
    TimeSpan Waited,
    IReadOnlyList<string> GroupIds,
    string Digest,
    bool Replayed);
