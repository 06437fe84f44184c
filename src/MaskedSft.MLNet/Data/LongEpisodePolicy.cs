// What the loader does with an episode that has more targets than the block size.
namespace MaskedSft.MLNet.Data;

/// <summary>Handling of episodes with more than <c>BlockSize</c> targets (more than <c>BlockSize + 1</c> tokens).</summary>
public enum LongEpisodePolicy
{
    /// <summary>Refuse the dataset: the loader's constructor throws an <see cref="EpisodeDatasetException"/> naming the episode.</summary>
    Error = 0,

    /// <summary>Keep the first <c>BlockSize + 1</c> tokens; the statistics count the dropped targets and supervised targets.</summary>
    Truncate = 1,

    /// <summary>
    /// Cut into windows starting at tokens 0, T, 2T, ... of <c>T + 1</c> tokens each (the last shorter and padded); every
    /// target of the episode lands in exactly one window, later windows see less context.
    /// </summary>
    SplitIntoWindows = 2,
}
