// The storage type of token ids in tokens.bin, chosen by the vocabulary size.
namespace MaskedSft.MLNet.Data;

/// <summary>How token ids are stored in tokens.bin.</summary>
public enum EpisodeTokenType
{
    /// <summary>Unsigned 16-bit ids, for vocabularies of at most 65,536 tokens.</summary>
    UInt16 = 0,

    /// <summary>Unsigned 32-bit ids, for larger vocabularies.</summary>
    UInt32 = 1,
}

/// <summary>Helpers of <see cref="EpisodeTokenType"/>.</summary>
public static class EpisodeTokenTypes
{
    /// <summary>The storage type the writer chooses for a vocabulary size: uint16 up to 65,536 tokens, else uint32.</summary>
    /// <param name="vocabSize">The vocabulary size.</param>
    /// <returns>The token type.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is not positive.</exception>
    public static EpisodeTokenType ForVocabSize(int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        return vocabSize <= EpisodeDatasetFormat.MaxUInt16VocabSize ? EpisodeTokenType.UInt16 : EpisodeTokenType.UInt32;
    }

    /// <summary>Size of one token id in bytes.</summary>
    /// <param name="type">The token type.</param>
    /// <returns>2 or 4.</returns>
    public static int ByteSize(this EpisodeTokenType type) => type == EpisodeTokenType.UInt16 ? 2 : 4;

    /// <summary>The name used in dataset.json: <c>uint16</c> or <c>uint32</c>.</summary>
    /// <param name="type">The token type.</param>
    /// <returns>The JSON name.</returns>
    public static string ToJsonName(this EpisodeTokenType type) => type == EpisodeTokenType.UInt16 ? "uint16" : "uint32";

    /// <summary>Parses the dataset.json name of a token type.</summary>
    /// <param name="name">The name, <c>uint16</c> or <c>uint32</c>.</param>
    /// <param name="type">The parsed type.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out EpisodeTokenType type)
    {
        switch (name)
        {
            case "uint16":
                type = EpisodeTokenType.UInt16;
                return true;
            case "uint32":
                type = EpisodeTokenType.UInt32;
                return true;
            default:
                type = default;
                return false;
        }
    }
}
