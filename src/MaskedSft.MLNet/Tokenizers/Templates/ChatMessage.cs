// One message of a conversation: a role (system, user, assistant, tool...) and its text.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>A message of a conversation, as in OpenAI-style <c>{"role": ..., "content": ...}</c> records.</summary>
/// <param name="Role">The role; the template must know it (see <see cref="ChatRoles"/>).</param>
/// <param name="Content">The text of the message, rendered verbatim.</param>
public sealed record ChatMessage(string Role, string Content);
