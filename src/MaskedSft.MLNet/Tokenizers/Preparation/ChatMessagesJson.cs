// The "messages" array of a chat JSON line (OpenAI style, as prepare and generate read it) as ChatMessages.
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>
/// Reads <c>[{"role": ..., "content": ..., "reasoning_content"?: ...}, ...]</c> for a chat template: every role must be one
/// the template knows; <c>tool_calls</c> are refused (no template renders them), and <c>reasoning_content</c> unless the
/// template has think handling, so that nothing is dropped from the trained text silently.
/// </summary>
public static class ChatMessagesJson
{
    /// <summary>The messages of <paramref name="messages"/>.</summary>
    /// <param name="messages">The JSON value of "messages".</param>
    /// <param name="template">The template that will render them.</param>
    /// <param name="error">Makes the exception thrown for a problem of the given kind and message (e.g. naming the file and line).</param>
    /// <returns>The messages, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="template"/> or <paramref name="error"/> is null.</exception>
    public static List<ChatMessage> Parse(JsonElement messages, ChatTemplate template, Func<PreparationErrorKind, string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(error);
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw error(PreparationErrorKind.WrongType, $"\"messages\" must be an array of {{\"role\", \"content\"}} objects, found {JsonKinds.Describe(messages)}.");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw error(PreparationErrorKind.InvalidValue, "\"messages\" is empty.");
        }

        var list = new List<ChatMessage>(messages.GetArrayLength());
        int i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            string at = $"messages[{i}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw error(PreparationErrorKind.WrongType, $"{at} must be an object with \"role\" and \"content\", found {JsonKinds.Describe(message)}.");
            }

            if (!message.TryGetProperty("role", out var role) || role.ValueKind == JsonValueKind.Null)
            {
                throw error(PreparationErrorKind.MissingField, $"{at} has no \"role\".");
            }

            if (role.ValueKind != JsonValueKind.String)
            {
                throw error(PreparationErrorKind.WrongType, $"{at}.role must be a string, found {JsonKinds.Describe(role)}.");
            }

            string roleName = role.GetString()!;
            if (template.FormatOf(roleName) is null)
            {
                throw error(PreparationErrorKind.UnknownRole, $"{at}.role is '{roleName}', which the template '{template.Name}' does not know "
                    + $"(it knows {string.Join(", ", template.Roles.Select(r => $"'{r}'"))}).");
            }

            if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            {
                throw error(PreparationErrorKind.MissingField, $"{at} ({roleName}) has no \"content\".");
            }

            if (content.ValueKind != JsonValueKind.String)
            {
                throw error(PreparationErrorKind.WrongType, $"{at}.content must be a string, found {JsonKinds.Describe(content)}.");
            }

            if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                && !(toolCalls.ValueKind == JsonValueKind.Array && toolCalls.GetArrayLength() == 0))
            {
                throw error(PreparationErrorKind.InvalidValue, $"{at} has \"tool_calls\", which maskedsft's chat templates do not render (they would be "
                    + "dropped from the trained text); write the calls into \"content\" as the model emits them (e.g. <tool_call>...</tool_call>).");
            }

            string? reasoning = null;
            if (message.TryGetProperty("reasoning_content", out var reasoningElement) && reasoningElement.ValueKind != JsonValueKind.Null)
            {
                if (reasoningElement.ValueKind != JsonValueKind.String)
                {
                    throw error(PreparationErrorKind.WrongType, $"{at}.reasoning_content must be a string, found {JsonKinds.Describe(reasoningElement)}.");
                }

                if (template.Rules.Reasoning == ReasoningFormat.None)
                {
                    throw error(PreparationErrorKind.InvalidValue, $"{at} has \"reasoning_content\", which the template '{template.Name}' does not "
                        + "render (it would be dropped); use a template with think handling (qwen3) or put the reasoning into \"content\".");
                }

                reasoning = reasoningElement.GetString();
            }

            list.Add(new ChatMessage(roleName, content.GetString()!) { ReasoningContent = reasoning });
            i++;
        }

        return list;
    }
}
