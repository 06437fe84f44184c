// How a chat template renders an assistant's reasoning (<think> blocks).
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>How a template renders assistant reasoning.</summary>
public enum ReasoningFormat
{
    /// <summary>Contents are rendered verbatim; <see cref="ChatMessage.ReasoningContent"/> is refused.</summary>
    None,

    /// <summary>
    /// Qwen3's rules: reasoning comes from <see cref="ChatMessage.ReasoningContent"/> or from a <c>&lt;think&gt;...&lt;/think&gt;</c>
    /// block at the start of the content; assistant turns up to the last real user query lose it; later ones render
    /// <c>&lt;think&gt;\n{reasoning}\n&lt;/think&gt;\n\n{content}</c> when they have reasoning or end the conversation (then
    /// with an empty block). The block of a trained turn is trained, except an empty one when
    /// <see cref="ChatRenderOptions.EnableThinking"/> is false (at inference it is then part of the prompt).
    /// </summary>
    Qwen3,
}
