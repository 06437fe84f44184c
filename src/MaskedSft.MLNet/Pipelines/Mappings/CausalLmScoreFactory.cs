// Saved-pipeline infrastructure: the rows and the CustomMapping of a saved CausalLmTransformer (per-row masked loss).
using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MaskedSft.MLNet.Pipelines.Mappings;

/// <summary>The input of the scorer in process (renamed to the user's columns by a schema definition).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CausalLmScoreInput
{
    /// <summary>Token ids.</summary>
    public int[]? Tokens { get; set; }

    /// <summary>Loss mask, one per token.</summary>
    public bool[]? LossMask { get; set; }
}

/// <summary>The output of the scorer in process (renamed to the user's columns by a schema definition).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CausalLmScoreOutput
{
    /// <summary>Masked mean cross-entropy (NaN without supervised targets).</summary>
    public float Loss { get; set; }

    /// <summary>Supervised targets scored.</summary>
    public int SupervisedTokens { get; set; }
}

/// <summary>The input of a saved scorer: tokens and mask copied to internal columns, and the saved state's columns.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedCausalLmScoreInput
{
    /// <summary>The column the tokens are copied to.</summary>
    public const string TokensColumn = "__MaskedSft.ScoreTokens";

    /// <summary>The column the loss mask is copied to.</summary>
    public const string LossMaskColumn = "__MaskedSft.ScoreLossMask";

    /// <summary>Token ids.</summary>
    [ColumnName(TokensColumn)]
    public int[]? Tokens { get; set; }

    /// <summary>Loss mask.</summary>
    [ColumnName(LossMaskColumn)]
    public bool[]? LossMask { get; set; }

    /// <summary>The state's id and chunk count.</summary>
    [ColumnName(SavedState.IdColumn)]
    public string? StateId { get; set; }

    /// <summary>The state's chunks (only on the first row a process reads).</summary>
    [ColumnName(SavedState.ChunksColumn)]
    public string[]? StateChunks { get; set; }
}

/// <summary>The output of a saved scorer (copied to the user's columns afterwards).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedCausalLmScoreOutput
{
    /// <summary>The column of the loss.</summary>
    public const string LossColumn = "__MaskedSft.ScoreLoss";

    /// <summary>The column of the supervised-token count.</summary>
    public const string SupervisedTokensColumn = "__MaskedSft.ScoreSupervisedTokens";

    /// <summary>Masked mean cross-entropy.</summary>
    [ColumnName(LossColumn)]
    public float Loss { get; set; }

    /// <summary>Supervised targets scored.</summary>
    [ColumnName(SupervisedTokensColumn)]
    public int SupervisedTokens { get; set; }
}

/// <summary>The mapping of a saved CausalLmTransformer (infrastructure of saved MaskedSft pipelines; see docs/mlnet.md).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class CausalLmScoreFactory : CustomMappingFactory<SavedCausalLmScoreInput, SavedCausalLmScoreOutput>
{
    /// <summary>The contract name saved in model files.</summary>
    public const string ContractName = "MaskedSft.CausalLmScore.v1";

    /// <inheritdoc />
    public override Action<SavedCausalLmScoreInput, SavedCausalLmScoreOutput> GetMapping() => static (source, row) =>
    {
        var state = SavedState.Resolve(source.StateId, source.StateChunks, CausalLmState.FromBytes);
        (row.Loss, row.SupervisedTokens) = state.Scorer.Score(source.Tokens, source.LossMask);
    };
}
