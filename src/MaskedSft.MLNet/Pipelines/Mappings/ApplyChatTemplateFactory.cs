// Saved-pipeline infrastructure: the rows and the CustomMapping of a saved ApplyChatTemplate step.
using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace MaskedSft.MLNet.Pipelines.Mappings;

/// <summary>The input of ApplyChatTemplate in process: the chat cell (renamed to the user's column by a schema definition).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ChatTemplateInput
{
    /// <summary>One chat as JSON.</summary>
    public string? Messages { get; set; }
}

/// <summary>The output of ApplyChatTemplate in process (renamed to the user's columns by a schema definition).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ChatTemplateOutput
{
    /// <summary>Token ids.</summary>
    public int[] Tokens { get; set; } = [];

    /// <summary>Loss mask, one per token.</summary>
    public bool[] LossMask { get; set; } = [];
}

/// <summary>The input of a saved ApplyChatTemplate step: the chat cell and the saved state's columns.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedChatTemplateInput
{
    /// <summary>The column the chat cell is copied to.</summary>
    public const string MessagesColumn = "__MaskedSft.ChatMessages";

    /// <summary>One chat as JSON.</summary>
    [ColumnName(MessagesColumn)]
    public string? Messages { get; set; }

    /// <summary>The state's id and chunk count.</summary>
    [ColumnName(SavedState.IdColumn)]
    public string? StateId { get; set; }

    /// <summary>The state's chunks (only on the first row a process reads).</summary>
    [ColumnName(SavedState.ChunksColumn)]
    public string[]? StateChunks { get; set; }
}

/// <summary>The output of a saved ApplyChatTemplate step (copied to the user's columns afterwards).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SavedChatTemplateOutput
{
    /// <summary>The column of the token ids.</summary>
    public const string TokensColumn = "__MaskedSft.ChatTokens";

    /// <summary>The column of the loss mask.</summary>
    public const string LossMaskColumn = "__MaskedSft.ChatLossMask";

    /// <summary>Token ids.</summary>
    [ColumnName(TokensColumn)]
    public int[] Tokens { get; set; } = [];

    /// <summary>Loss mask, one per token.</summary>
    [ColumnName(LossMaskColumn)]
    public bool[] LossMask { get; set; } = [];
}

/// <summary>The mapping of a saved ApplyChatTemplate step (infrastructure of saved MaskedSft pipelines; see docs/mlnet.md).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ApplyChatTemplateFactory : CustomMappingFactory<SavedChatTemplateInput, SavedChatTemplateOutput>
{
    /// <summary>The contract name saved in model files.</summary>
    public const string ContractName = "MaskedSft.ApplyChatTemplate.v1";

    /// <inheritdoc />
    public override Action<SavedChatTemplateInput, SavedChatTemplateOutput> GetMapping() => static (source, row) =>
    {
        var state = SavedState.Resolve(source.StateId, source.StateChunks, ChatTemplateState.FromBytes);
        (row.Tokens, row.LossMask) = state.Map(source.Messages);
    };
}
