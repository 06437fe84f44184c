// What one Atropos training step did: the engine's metrics, the batch's diagnostics and what was consumed.
namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>One step of <see cref="AtroposTrainer"/>.</summary>
/// <param name="Metrics">The engine's step metrics (loss, gradient norm, learning rate...).</param>
/// <param name="Diagnostics">The batch's numbers as written to metrics.jsonl (scores, advantages, lengths, truncation,
/// polling, and the objective's own when it reports any).</param>
/// <param name="GroupIds">The groups' <c>generation_params.group_id</c> values, where present.</param>
/// <param name="Digest">The SHA-256 (hex) of the batch's groups as received.</param>
/// <param name="Replayed">True when the batch came from the spool (received before a restart), not from the server.</param>
public sealed record AtroposStepRecord(
    Training.StepMetrics Metrics,
    IReadOnlyDictionary<string, double> Diagnostics,
    IReadOnlyList<string> GroupIds,
    string Digest,
    bool Replayed);
