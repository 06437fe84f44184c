// One message of a conversation: a role (system, user, assistant, tool...) and its text, with an assistant's reasoning.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>A message of a conversation, as in OpenAI-style <c>{"role": ..., "content": ...}</c> records.</summary>
/// <param name="Role">The role; the template must know it (see <see cref="ChatRoles"/>).</param>
/// <param name="Content">The text of the message, rendered verbatim (unless the template trims it, as Llama 3's do).</param>
public sealed record ChatMessage(string Role, string Content)
{
    /// <summary>
    /// An assistant's reasoning given apart from its content (Hugging Face's <c>reasoning_content</c>), or null. Only
    /// templates with think handling (<see cref="ReasoningFormat.Qwen3"/>) render it; others refuse it.
    /// </summary>
    public string? ReasoningContent { get; init; }
}
