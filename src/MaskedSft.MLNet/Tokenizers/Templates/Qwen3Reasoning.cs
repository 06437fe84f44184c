// Qwen3's think handling, as its chat template's Jinja computes it: which assistant turns keep their reasoning, and how.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>The rules of <see cref="ReasoningFormat.Qwen3"/>, mirroring Qwen3's tokenizer_config.json chat_template.</summary>
internal static class Qwen3Reasoning
{
    /// <summary>The think block Qwen3's template writes for a turn without reasoning.</summary>
    public const string EmptyBlock = "<think>\n\n</think>\n\n";

    /// <summary>
    /// For each message, the think block rendered before its content ("" for none) and the content rendered. The last
    /// query is the last user message that is not a wrapped tool response; assistant turns up to it lose their reasoning,
    /// later ones keep it, and the final message (when an assistant turn) always gets a block, empty if need be.
    /// </summary>
    public static (string Think, string Content)[] Apply(IReadOnlyList<ChatMessage> messages)
    {
        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            var m = messages[i];
            if (m.Role == ChatRoles.User && !(m.Content.StartsWith("<tool_response>", StringComparison.Ordinal) && m.Content.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        }

        var result = new (string Think, string Content)[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role != ChatRoles.Assistant)
            {
                result[i] = (string.Empty, m.Content);
                continue;
            }

            string content = m.Content, reasoning = string.Empty;
            if (m.ReasoningContent is not null)
            {
                reasoning = m.ReasoningContent;
            }
            else if (content.Contains("</think>", StringComparison.Ordinal))
            {
                reasoning = TemplateText.LStrip(TemplateText.AfterLast(TemplateText.RStrip(TemplateText.BeforeFirst(content, "</think>"), '\n'), "<think>"), '\n');
                content = TemplateText.LStrip(TemplateText.AfterLast(content, "</think>"), '\n');
            }

            result[i] = i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0)
                ? ("<think>\n" + TemplateText.Strip(reasoning, '\n') + "\n</think>\n\n", TemplateText.LStrip(content, '\n'))
                : (string.Empty, content);
        }

        return result;
    }
}
