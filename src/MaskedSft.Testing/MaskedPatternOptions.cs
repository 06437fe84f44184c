// Settings of the seed's training check: a small GPT learns a fixed response after random prompts, with and without the mask.
using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>Options of <see cref="TrainingChecks.MaskedPatternLearning"/>.</summary>
public sealed record MaskedPatternOptions
{
    /// <summary>The model (default 3 layers x 128 with a block of 16 tokens, vocabulary 50304, as the seed).</summary>
    public GptConfig Model { get; init; } = GptConfig.Small with { BlockSize = 16 };

    /// <summary>Optimizer steps per run (default 200).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Episodes per step (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Random prompt tokens per episode (default 8).</summary>
    public int PromptLength { get; init; } = 8;

    /// <summary>Response tokens per episode (default 8), all equal to <see cref="ResponseToken"/>.</summary>
    public int ResponseLength { get; init; } = 8;

    /// <summary>The response token (default 42).</summary>
    public int ResponseToken { get; init; } = 42;

    /// <summary>AdamW learning rate (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of the weights and the data (default 1337).</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>Size of the fixed training pool of episodes that the steps sample from (default 64): small enough that a
    /// model trained on every target memorises its prompts, which is what the mask must prevent.</summary>
    public int TrainingEpisodes { get; init; } = 64;

    /// <summary>Fresh prompts used to evaluate the trained model (default 32).</summary>
    public int EvaluationPrompts { get; init; } = 32;

    /// <summary>Also train the same model without the mask, for comparison (default true).</summary>
    public bool CompareWithoutMask { get; init; } = true;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, the episode does not fit the block, or the token is outside the vocabulary.</exception>
    public void Validate()
    {
        Model.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptLength, 2, nameof(PromptLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ResponseLength, nameof(ResponseLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EvaluationPrompts, nameof(EvaluationPrompts));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TrainingEpisodes, nameof(TrainingEpisodes));
        ArgumentOutOfRangeException.ThrowIfLessThan(Model.VocabSize, 3, nameof(Model));
        if (PromptLength + ResponseLength - 1 > Model.BlockSize)
            throw new ArgumentOutOfRangeException(nameof(PromptLength), $"prompt + response - 1 = {PromptLength + ResponseLength - 1} positions exceed the block size {Model.BlockSize}.");
        if (ResponseToken < 0 || ResponseToken >= Model.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(ResponseToken), ResponseToken, $"The response token must be in [0, {Model.VocabSize}).");
    }
}
