// Options of SaveEpisodes: the columns to read, vocabulary, pad id, tokenizer identity, split rule, overwrite.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>Options of <see cref="Microsoft.ML.MaskedSftCatalog.SaveEpisodes(Microsoft.ML.IDataView, string, SaveEpisodesOptions)"/>.</summary>
public sealed class SaveEpisodesOptions
{
    /// <summary>The token ids column: a vector of <see cref="int"/> (default <c>Tokens</c>).</summary>
    public string TokensColumnName { get; set; } = EpisodeColumns.Tokens;

    /// <summary>The loss mask column: a vector of <see cref="bool"/>, one per token (default <c>LossMask</c>).</summary>
    public string LossMaskColumnName { get; set; } = EpisodeColumns.LossMask;

    /// <summary>The advantages column, a vector of <see cref="float"/> one per token, written when the data has it (default <c>Advantages</c>).</summary>
    public string AdvantagesColumnName { get; set; } = EpisodeColumns.Advantages;

    /// <summary>The key column (<see cref="ulong"/>), used when the data has it; else keys derive from the content (default <c>Key</c>).</summary>
    public string KeyColumnName { get; set; } = EpisodeColumns.Key;

    /// <summary>The score column (<see cref="double"/> or <see cref="float"/>, NaN = none), used when present (default <c>Score</c>).</summary>
    public string ScoreColumnName { get; set; } = EpisodeColumns.Score;

    /// <summary>The group column (<see cref="long"/>, <see cref="EpisodeColumns.NoGroup"/> = none), used when present (default <c>Group</c>).</summary>
    public string GroupColumnName { get; set; } = EpisodeColumns.Group;

    /// <summary>The vocabulary size; null = the tokens column's <see cref="EpisodeColumns.VocabSizeAnnotation"/>, else one
    /// more than the largest id (one extra pass over the data).</summary>
    public int? VocabSize { get; set; }

    /// <summary>The pad id; null = the tokens column's <see cref="EpisodeColumns.PadIdAnnotation"/>, else 0.</summary>
    public int? PadId { get; set; }

    /// <summary>The tokenizer that made the ids; null = the tokens column's tokenizer annotations, if any.</summary>
    public TokenizerIdentity? Tokenizer { get; set; }

    /// <summary>Fraction of episodes that go to the validation split, by key hash (default 0: all train).</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Seed of the split hash.</summary>
    public ulong SplitSeed { get; set; } = new EpisodeDatasetWriterOptions { VocabSize = 1 }.SplitSeed;

    /// <summary>Replace an existing dataset at the target (default false).</summary>
    public bool Overwrite { get; set; }

    /// <summary>A description of the source, recorded in dataset.json.</summary>
    public string? Source { get; set; }
}
