// The classes of problems the episode dataset validator reports.
namespace MaskedSft.MLNet.Data;

/// <summary>What is wrong with an episode dataset.</summary>
public enum EpisodeDatasetErrorKind
{
    /// <summary>The directory or a required file does not exist.</summary>
    MissingFile,

    /// <summary>The directory is a staging directory of an interrupted or unfinished write.</summary>
    InterruptedWrite,

    /// <summary>dataset.json is not valid JSON or lacks a required field.</summary>
    InvalidHeader,

    /// <summary>A magic value does not match: the file is not part of an episode dataset.</summary>
    WrongMagic,

    /// <summary>The format or index version is newer than this build reads (or not a valid version).</summary>
    UnsupportedVersion,

    /// <summary>A file's size does not match the header (truncated or padded file).</summary>
    SizeMismatch,

    /// <summary>An index entry points outside tokens.bin, overlaps another, or has an invalid field.</summary>
    InvalidIndexEntry,

    /// <summary>A token id is not below the vocabulary size.</summary>
    TokenOutOfRange,

    /// <summary>A mask byte is neither 0 nor 1.</summary>
    InvalidMaskValue,

    /// <summary>An advantage or a score is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>Two episodes have the same key.</summary>
    DuplicateKey,

    /// <summary>A count in the header disagrees with the data.</summary>
    CountMismatch,

    /// <summary>An episode is longer than the loader's block size and the policy is <see cref="LongEpisodePolicy.Error"/>.</summary>
    EpisodeTooLong,
}
