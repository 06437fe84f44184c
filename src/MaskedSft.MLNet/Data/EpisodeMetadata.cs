// What a writer caller may say about an episode besides its tokens: key, split, score, group.
namespace MaskedSft.MLNet.Data;

/// <summary>Optional per-episode metadata given to <see cref="EpisodeDatasetWriter"/>.</summary>
public readonly record struct EpisodeMetadata
{
    /// <summary>The stable key; when null the writer derives one from the content (see docs/episode-dataset-format.md).</summary>
    public ulong? Key { get; init; }

    /// <summary>The split; when null the writer's <see cref="EpisodeDatasetWriterOptions.ValidationFraction"/> rule decides.</summary>
    public DatasetSplit? Split { get; init; }

    /// <summary>A finite score (reward), or null.</summary>
    public double? Score { get; init; }

    /// <summary>A group id (for example a GRPO prompt group), or null.</summary>
    public long? GroupId { get; init; }
}
