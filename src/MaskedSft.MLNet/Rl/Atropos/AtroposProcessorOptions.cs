// Settings of AtroposBatchProcessor: padding, length limits, advantages from scores, which log-probs to carry.
namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>How groups from GET /batch become <see cref="Training.Rl.RlBatch"/>es.</summary>
public sealed record AtroposProcessorOptions
{
    /// <summary>The input id written at padding positions.</summary>
    public long PadId { get; init; }

    /// <summary>The longest sequence (in tokens, prompt and completion) accepted; longer ones are an error unless
    /// <see cref="TruncateLongSequences"/>. Null = no limit.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Cut sequences longer than <see cref="MaxLength"/> (the row is marked truncated) instead of failing.</summary>
    public bool TruncateLongSequences { get; init; }

    /// <summary>The padded number of target positions T is rounded up to a multiple of this (the Atropos example trainer uses 64).</summary>
    public int PadToMultiple { get; init; } = 1;

    /// <summary>How a group without token-level advantages turns its scores into advantages.</summary>
    public AtroposScoreNormalization ScoreNormalization { get; init; } = AtroposScoreNormalization.Group;

    /// <summary>The smallest standard deviation divided by in <see cref="AtroposScoreNormalization.Group"/>.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Carry the groups' inference log-probs as the batch's old log-probs (when every group has them).</summary>
    public bool UseInferenceLogProbs { get; init; } = true;

    /// <summary>Carry the groups' reference log-probs (when every group has them).</summary>
    public bool UseReferenceLogProbs { get; init; } = true;

    /// <summary>The model's vocabulary size: token ids must be below it. Null = not checked.</summary>
    public int? VocabSize { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (MaxLength is { } max) ArgumentOutOfRangeException.ThrowIfLessThan(max, 2, nameof(MaxLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PadToMultiple, nameof(PadToMultiple));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epsilon, nameof(Epsilon));
        if (VocabSize is { } v) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(VocabSize));
        if (PadId < 0 || (VocabSize is { } vocab && PadId >= vocab)) throw new ArgumentOutOfRangeException(nameof(PadId), PadId, "the pad id must be a valid token id.");
    }
}

/// <summary>How sequence scores become advantages when a group carries no token-level advantages.</summary>
public enum AtroposScoreNormalization
{
    /// <summary>(score - group mean) / max(group std, epsilon) with the population std, as the Atropos example trainer does;
    /// a group of one sequence keeps its raw score.</summary>
    Group,

    /// <summary>The raw score is the advantage.</summary>
    None,
}
