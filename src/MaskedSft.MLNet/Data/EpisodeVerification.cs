// How much of an episode dataset EpisodeDataset.Open checks.
namespace MaskedSft.MLNet.Data;

/// <summary>The depth of validation when opening a dataset.</summary>
public enum EpisodeVerification
{
    /// <summary>
    /// Everything: header, index, file sizes, and the content (every token below the vocabulary size, every mask byte 0 or 1,
    /// every advantage finite, unique keys, header counts). Reads each file once, vectorized.
    /// </summary>
    Full = 0,

    /// <summary>Header, index entries and file sizes only; the content is trusted (for very large, already verified data).</summary>
    Structure = 1,
}
