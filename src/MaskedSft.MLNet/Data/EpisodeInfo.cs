// The public description of one episode of a dataset: where its tokens are, its key, split, score and group.
namespace MaskedSft.MLNet.Data;

/// <summary>One episode of an <see cref="EpisodeDataset"/>.</summary>
/// <param name="Index">Position of the episode in index.bin.</param>
/// <param name="Key">The stable 64-bit key of the episode.</param>
/// <param name="TokenOffset">Absolute offset of its first token in tokens.bin.</param>
/// <param name="Length">Number of tokens (the episode has <c>Length - 1</c> targets).</param>
/// <param name="Split">Train or validation.</param>
/// <param name="Score">The episode's score (reward), when it has one.</param>
/// <param name="GroupId">The episode's group id, when it has one.</param>
public readonly record struct EpisodeInfo(
    int Index,
    ulong Key,
    long TokenOffset,
    int Length,
    DatasetSplit Split,
    double? Score,
    long? GroupId);
