// The outcome of a mock training run: success, the failure reason, metrics and the verified checkpoint.
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.Testing.Mock;

/// <summary>What <see cref="MockTrainingRun.Run"/> returns.</summary>
public sealed record MockTrainingResult
{
    /// <summary>Whether the run and every check passed.</summary>
    public required bool Success { get; init; }

    /// <summary>Why it failed, or null.</summary>
    public string? FailureReason { get; init; }

    /// <summary>The loss of every step.</summary>
    public required IReadOnlyList<double> Losses { get; init; }

    /// <summary>The hard-example payloads logged (empty when tracking is off).</summary>
    public required IReadOnlyList<HardExamplePayload> HardExamplePayloads { get; init; }

    /// <summary>The checkpoint directory written at the end, or null if the run failed before it.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Whether the checkpoint was reloaded and verified (parameters, optimizer, tracker, next step).</summary>
    public bool CheckpointVerified { get; init; }
}
