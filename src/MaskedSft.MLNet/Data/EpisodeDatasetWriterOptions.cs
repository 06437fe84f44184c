// Settings of EpisodeDatasetWriter: vocabulary, pad id, advantages, tokenizer identity, split rule, overwrite.
namespace MaskedSft.MLNet.Data;

/// <summary>Options of <see cref="EpisodeDatasetWriter"/>.</summary>
public sealed record EpisodeDatasetWriterOptions
{
    /// <summary>The vocabulary size: token ids must be in <c>[0, VocabSize)</c>; it also picks uint16 or uint32 storage.</summary>
    public required int VocabSize { get; init; }

    /// <summary>The pad id the loader puts after short episodes (default 0); must be in <c>[0, VocabSize)</c>.</summary>
    public int PadId { get; init; }

    /// <summary>Whether every episode carries per-token advantages (written to advantages.bin).</summary>
    public bool WithAdvantages { get; init; }

    /// <summary>The tokenizer that produced the ids, recorded in dataset.json.</summary>
    public TokenizerIdentity? Tokenizer { get; init; }

    /// <summary>A description of the source data, recorded in dataset.json.</summary>
    public string? Source { get; init; }

    /// <summary>Fraction of episodes without an explicit split that go to validation, by key hash (default 0).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Seed of the split hash (see <see cref="SplitRule"/>).</summary>
    public ulong SplitSeed { get; init; } = 0x5EED5EED5EED5EEDUL;

    /// <summary>Replace an existing dataset at the target path on <see cref="EpisodeDatasetWriter.Complete"/> (default false).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Size of each file's write buffer in bytes (default 1 MiB).</summary>
    public int BufferSize { get; init; } = 1 << 20;
}
