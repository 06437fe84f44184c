// The episode dataset's on-disk layout, version 1: file names, magics, sizes, and the alignment of masks with targets.
namespace MaskedSft.MLNet.Data;

/// <summary>
/// Constants of the episode dataset format, version 1 (the full description is docs/episode-dataset-format.md).
/// </summary>
/// <remarks>
/// <para>A dataset is a directory; all numbers are little-endian; the token, mask and advantage files are raw arrays:</para>
/// <code>
/// DIR/
///   dataset.json     header: magic, formatVersion, tokenType (uint16 if vocabSize &lt;= 65536, else uint32), vocabSize,
///                    padId, episode/split/token/supervised-target counts, hasAdvantages/Scores/Groups, tokenizer, created, split
///   index.bin        32-byte header: "MSEPIDX\0", uint32 version=1, uint32 entrySize=40, int64 episodes, int64 tokens;
///                    then per episode 40 bytes: int64 tokenOffset, int32 length, uint8 split (0 train, 1 validation),
///                    uint8 flags (bit0 score, bit1 group), uint16 reserved, uint64 key, int64 groupId, float64 score
///   tokens.bin       tokenCount ids (uint16 or uint32)
///   mask.bin         tokenCount bytes: 1 = train on this token as a target
///   advantages.bin   optional: tokenCount float32, the weight of this token as a target
/// </code>
/// <para>
/// Alignment: <c>mask[i]</c> and <c>advantages[i]</c> refer to token <c>i</c> <b>as a target</b> (predicted from the tokens
/// before it in its episode). The loader yields <c>X[t] = tokens[s+t]</c>, <c>Y[t] = tokens[s+t+1]</c>,
/// <c>maskY[t] = mask[s+t+1]</c>, <c>advY[t] = adv[s+t+1]</c>. The first token of an episode is never a target.
/// </para>
/// <para>
/// Episodes are contiguous: entry 0 starts at token 0 and entry e+1 where entry e ends. The writer stages the directory as
/// <c>.NAME.writing-&lt;hex&gt;</c> with a <c>.writing</c> marker and renames it when complete; the reader refuses both.
/// </para>
/// </remarks>
public static class EpisodeDatasetFormat
{
    /// <summary>The format version this build writes and the highest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The value of the <c>magic</c> field of dataset.json.</summary>
    public const string HeaderMagic = "MaskedSft.EpisodeDataset";

    /// <summary>Name of the header file.</summary>
    public const string HeaderFileName = "dataset.json";

    /// <summary>Name of the episode index file.</summary>
    public const string IndexFileName = "index.bin";

    /// <summary>Name of the token file.</summary>
    public const string TokensFileName = "tokens.bin";

    /// <summary>Name of the loss-mask file.</summary>
    public const string MaskFileName = "mask.bin";

    /// <summary>Name of the optional advantage file.</summary>
    public const string AdvantagesFileName = "advantages.bin";

    /// <summary>Name of the marker file that a directory being written holds until it is complete.</summary>
    public const string WritingMarkerFileName = ".writing";

    /// <summary>The infix of a staging directory's name: <c>.NAME.writing-&lt;32 hex&gt;</c>.</summary>
    public const string StagingInfix = ".writing-";

    /// <summary>The 8 magic bytes that open index.bin: ASCII <c>MSEPIDX</c> and a zero byte.</summary>
    public static ReadOnlySpan<byte> IndexMagic => "MSEPIDX\0"u8;

    /// <summary>Version of the index file layout.</summary>
    public const int IndexVersion = 1;

    /// <summary>Size of index.bin's header in bytes.</summary>
    public const int IndexHeaderSize = 32;

    /// <summary>Size of one index entry in bytes.</summary>
    public const int IndexEntrySize = 40;

    /// <summary>The largest vocabulary whose ids are stored as uint16.</summary>
    public const int MaxUInt16VocabSize = 65536;

    /// <summary>Index entry flag: the entry carries a score.</summary>
    public const byte FlagHasScore = 1;

    /// <summary>Index entry flag: the entry carries a group id.</summary>
    public const byte FlagHasGroup = 2;

    /// <summary>Returns true when a directory name has the writer's staging form <c>.NAME.writing-&lt;hex&gt;</c>.</summary>
    /// <param name="directoryName">The last component of a directory path.</param>
    /// <returns>Whether the name is a staging name.</returns>
    public static bool IsStagingName(string directoryName)
    {
        ArgumentNullException.ThrowIfNull(directoryName);
        return directoryName.StartsWith('.') && directoryName.Contains(StagingInfix, StringComparison.Ordinal);
    }
}
