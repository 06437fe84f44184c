// The contents of dataset.json: magic, version, token type, vocabulary, counts, tokenizer, creation info and split rule.
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Data;

/// <summary>The header of an episode dataset, stored as dataset.json (see <see cref="EpisodeDatasetFormat"/>).</summary>
public sealed class EpisodeDatasetHeader
{
    /// <summary>Always <see cref="EpisodeDatasetFormat.HeaderMagic"/>.</summary>
    public string? Magic { get; set; }

    /// <summary>The format version (<see cref="EpisodeDatasetFormat.CurrentVersion"/> for datasets written by this build).</summary>
    public int FormatVersion { get; set; }

    /// <summary>32 hex digits, random per written dataset.</summary>
    public string? DatasetId { get; set; }

    /// <summary>Storage type name of token ids: <c>uint16</c> or <c>uint32</c>.</summary>
    [JsonPropertyName("tokenType")]
    public string? TokenTypeName { get; set; }

    /// <summary>Every token id is in <c>[0, VocabSize)</c>.</summary>
    public int VocabSize { get; set; }

    /// <summary>The id the loader puts into inputs after the end of a short episode.</summary>
    public int PadId { get; set; }

    /// <summary>Number of episodes.</summary>
    public long EpisodeCount { get; set; }

    /// <summary>Number of training episodes.</summary>
    public long TrainEpisodeCount { get; set; }

    /// <summary>Number of validation episodes.</summary>
    public long ValidationEpisodeCount { get; set; }

    /// <summary>Number of tokens over all episodes.</summary>
    public long TokenCount { get; set; }

    /// <summary>Number of positions with mask 1 that are not the first token of their episode (the trainable targets).</summary>
    public long SupervisedTargetCount { get; set; }

    /// <summary>Whether advantages.bin is present.</summary>
    public bool HasAdvantages { get; set; }

    /// <summary>Whether at least one episode carries a score.</summary>
    public bool HasScores { get; set; }

    /// <summary>Whether at least one episode carries a group id.</summary>
    public bool HasGroups { get; set; }

    /// <summary>The tokenizer that produced the ids.</summary>
    public TokenizerIdentity? Tokenizer { get; set; }

    /// <summary>Who wrote the dataset, when and from what.</summary>
    public DatasetCreationInfo? Created { get; set; }

    /// <summary>The rule that assigned a split to episodes written without one.</summary>
    public SplitRule? Split { get; set; }

    /// <summary>The parsed <see cref="TokenTypeName"/>.</summary>
    /// <exception cref="InvalidOperationException">The name is not <c>uint16</c> or <c>uint32</c>.</exception>
    [JsonIgnore]
    public EpisodeTokenType TokenType => EpisodeTokenTypes.TryParse(TokenTypeName, out var type)
        ? type
        : throw new InvalidOperationException($"dataset.json: unknown tokenType '{TokenTypeName}'. Hint: use 'uint16' or 'uint32'.");
}
