// Options of MockEpisodeSource: batch size, image and sequence sizes, episode pool, seed and process identity.
namespace MaskedSft.Testing.Mock;

/// <summary>Options of a <see cref="MockEpisodeSource"/>.</summary>
public sealed record MockEpisodeSourceOptions
{
    /// <summary>Samples per batch (per process). Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Image height and width in pixels (images are square, 3 channels). Default 128.</summary>
    public int ImageSize { get; init; } = 128;

    /// <summary>Prompt tokens per sample (padded). Default 16.</summary>
    public int PromptLength { get; init; } = 16;

    /// <summary>Action tokens per sample (padded; the loss mask marks the real ones). Default 16.</summary>
    public int ActionLength { get; init; } = 16;

    /// <summary>Robot-state vector length. Default 8.</summary>
    public int StateDim { get; init; } = 8;

    /// <summary>Number of distinct episodes samples are drawn from. Default 512.</summary>
    public int EpisodeCount { get; init; } = 512;

    /// <summary>Frames per episode; a sample is one (episode, frame), whose key is <c>epNNNNN/fNN</c>. Default 8.</summary>
    public int FramesPerEpisode { get; init; } = 8;

    /// <summary>The seed: the same seed gives the same batches. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>This process's index among <see cref="ProcessCount"/>. Default 0.</summary>
    public int ProcessIndex { get; init; }

    /// <summary>Number of processes; global index = (step × ProcessCount + ProcessIndex) × BatchSize + i. Default 1.</summary>
    public int ProcessCount { get; init; } = 1;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a field is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 8, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(PromptLength, 4, nameof(PromptLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(ActionLength, 4, nameof(ActionLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StateDim, nameof(StateDim));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EpisodeCount, nameof(EpisodeCount));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(FramesPerEpisode, nameof(FramesPerEpisode));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ProcessCount, nameof(ProcessCount));
        ArgumentOutOfRangeException.ThrowIfNegative(ProcessIndex, nameof(ProcessIndex));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(ProcessIndex, ProcessCount, nameof(ProcessIndex));
    }
}
