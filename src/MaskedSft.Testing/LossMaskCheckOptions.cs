// Settings of the validation kit's loss-mask checks: batch shape, seed, the loss under test and tolerances.
using MaskedSft.MLNet.Losses;

namespace MaskedSft.Testing;

/// <summary>Options of <see cref="LossMaskChecks"/>.</summary>
public sealed record LossMaskCheckOptions
{
    /// <summary>Rows of the synthetic batch (default 2, as the seed).</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>Positions per row (default 16); the first half is masked, the second half trained (as the seed).</summary>
    public int SequenceLength { get; init; } = 16;

    /// <summary>Seed of the synthetic batch (default 1234).</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>The loss under test; null uses <see cref="MaskedCrossEntropy.Compute"/>.</summary>
    public MaskedLossFunction? Loss { get; init; }

    /// <summary>Largest loss change allowed when masked targets are corrupted (default 1e-6).</summary>
    public double LossTolerance { get; init; } = 1e-6;

    /// <summary>Smallest loss difference that counts as "the mask has an effect" (default 1e-4).</summary>
    public double MinimumMaskEffect { get; init; } = 1e-4;

    /// <summary>The loss function actually used.</summary>
    internal MaskedLossFunction LossOrDefault => Loss ?? ((logits, targets, mask) => MaskedCrossEntropy.Compute(logits, targets, mask));

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is too small or a tolerance negative.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(SequenceLength, 2, nameof(SequenceLength));
        ArgumentOutOfRangeException.ThrowIfNegative(LossTolerance, nameof(LossTolerance));
        ArgumentOutOfRangeException.ThrowIfNegative(MinimumMaskEffect, nameof(MinimumMaskEffect));
    }
}
