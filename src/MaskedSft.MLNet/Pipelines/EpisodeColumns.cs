// Column names, annotation kinds and column types of episode data views (LoadEpisodes, ApplyChatTemplate, the trainer).
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The columns of an episode data view, as <see cref="Microsoft.ML.MaskedSftCatalog.LoadEpisodes"/> makes them and
/// <see cref="Microsoft.ML.MaskedSftCatalog.SaveEpisodes(Microsoft.ML.IDataView, string, bool)"/> and the trainer read them.
/// <c>LossMask[i]</c> and <c>Advantages[i]</c> refer to token i as a target (docs/episode-dataset-format.md).
/// </summary>
public static class EpisodeColumns
{
    /// <summary>Token ids: a variable-size vector of <see cref="int"/>.</summary>
    public const string Tokens = "Tokens";

    /// <summary>Loss mask: a variable-size vector of <see cref="bool"/>, one per token; true = trained as a target.</summary>
    public const string LossMask = "LossMask";

    /// <summary>Per-token advantages: a variable-size vector of <see cref="float"/> (present when the dataset has them).</summary>
    public const string Advantages = "Advantages";

    /// <summary>The episode's stable key: <see cref="ulong"/>.</summary>
    public const string Key = "Key";

    /// <summary>The episode's score (reward): <see cref="double"/>, NaN for an episode without one (present when any has one).</summary>
    public const string Score = "Score";

    /// <summary>The episode's group id: <see cref="long"/>, <see cref="NoGroup"/> for an episode without one (present when any has one).</summary>
    public const string Group = "Group";

    /// <summary>The <see cref="Group"/> value of an episode that has no group.</summary>
    public const long NoGroup = long.MinValue;

    /// <summary>Annotation of the <see cref="Tokens"/> column: the vocabulary size (<see cref="int"/>); every id is below it.</summary>
    public const string VocabSizeAnnotation = "MaskedSft.VocabSize";

    /// <summary>Annotation of the <see cref="Tokens"/> column: the pad id (<see cref="int"/>).</summary>
    public const string PadIdAnnotation = "MaskedSft.PadId";

    /// <summary>Annotation of the <see cref="Tokens"/> column: the tokenizer's name (text).</summary>
    public const string TokenizerNameAnnotation = "MaskedSft.TokenizerName";

    /// <summary>Annotation of the <see cref="Tokens"/> column: the tokenizer's fingerprint (text).</summary>
    public const string TokenizerFingerprintAnnotation = "MaskedSft.TokenizerFingerprint";

    /// <summary>The type of <see cref="Tokens"/>.</summary>
    internal static VectorDataViewType TokensType { get; } = new(NumberDataViewType.Int32);

    /// <summary>The type of <see cref="LossMask"/>.</summary>
    internal static VectorDataViewType LossMaskType { get; } = new(BooleanDataViewType.Instance);

    /// <summary>The type of <see cref="Advantages"/>.</summary>
    internal static VectorDataViewType AdvantagesType { get; } = new(NumberDataViewType.Single);
}
