// Options of ChatTemplate.Render.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>How <see cref="ChatTemplate.Render"/> tokenizes and masks a conversation.</summary>
public sealed record ChatRenderOptions
{
    /// <summary>The default options: train every assistant turn, special tokens in message text are plain text.</summary>
    public static ChatRenderOptions Default { get; } = new();

    /// <summary>Which assistant turns are trained. Default <see cref="AssistantTurns.All"/>.</summary>
    public AssistantTurns TrainOn { get; init; } = AssistantTurns.All;

    /// <summary>
    /// When false (default), special tokens written inside message contents (such as a literal <c>&lt;|im_end|&gt;</c>)
    /// are encoded as ordinary text, so data cannot close a turn early; non-special added tokens (Qwen3's
    /// <c>&lt;think&gt;</c>, <c>&lt;tool_call&gt;</c>) are matched either way. When true, contents are encoded like any text.
    /// </summary>
    public bool AllowSpecialTokensInContent { get; init; }
}
