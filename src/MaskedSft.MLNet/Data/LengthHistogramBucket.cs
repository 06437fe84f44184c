// One bucket of an episode length histogram: lengths in [MinLength, MaxLength] and how many episodes have them.
namespace MaskedSft.MLNet.Data;

/// <summary>A bucket of episode lengths, inclusive on both ends.</summary>
/// <param name="MinLength">Smallest length in the bucket.</param>
/// <param name="MaxLength">Largest length in the bucket.</param>
/// <param name="Count">Number of episodes with a length in the bucket.</param>
public readonly record struct LengthHistogramBucket(int MinLength, int MaxLength, long Count);
