// Recognises the Jinja chat_template of a Hugging Face model folder as one of the built-in templates, or refuses it.
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// Maps the Jinja <c>chat_template</c> text of a Hugging Face tokenizer onto a built-in <see cref="ChatTemplate"/> that
/// renders the same tokens, so that assistant-only loss masks stay exact: Qwen2.5 (<see cref="ChatTemplate.Qwen25"/>),
/// Qwen3 with its think handling (<see cref="ChatTemplate.Qwen3"/>), Meta's Llama 3 Instruct in both releases
/// (<see cref="ChatTemplate.Llama3Instruct"/>, <see cref="ChatTemplate.Llama3InstructAlwaysHeader"/>) and the Llama 3.1 /
/// 3.2 / 3.3 family (<see cref="ChatTemplate.Llama31"/>, <see cref="ChatTemplate.Llama32"/>). A template is recognised only
/// when it contains, verbatim, every Jinja statement that decides how its family renders a conversation of system, user,
/// assistant and tool messages; anything else is refused (<see cref="Recognize"/> raises an error with a hint), never
/// rendered with a guess.
/// </summary>
public static partial class ChatTemplateRecognizer
{
    private const string ChatMlTurn = "'<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n'";
    private const string ChatMlToolOpen = "'\\n<tool_response>\\n'";
    private const string ChatMlToolClose = "'\\n</tool_response>'";
    private const string ChatMlPrompt = "'<|im_start|>assistant\\n'";
    private const string LlamaTurn = "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>'";
    private const string LlamaTurnEscaped = "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>'";

    private static readonly (string Family, Func<string, ChatTemplate?> Match)[] Families =
    [
        ("Qwen3", Qwen3),
        ("Qwen2.5", Qwen25),
        ("Llama 3.1/3.2/3.3", Llama31Family),
        ("Llama 3 Instruct", Llama3Instruct),
    ];

    /// <summary>Recognises <paramref name="templateText"/>.</summary>
    /// <param name="templateText">The Jinja text of <c>chat_template</c>.</param>
    /// <param name="template">The built-in template that renders exactly like it, when recognised.</param>
    /// <returns>Whether it was recognised.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="templateText"/> is null.</exception>
    public static bool TryRecognize(string templateText, [NotNullWhen(true)] out ChatTemplate? template)
    {
        ArgumentNullException.ThrowIfNull(templateText);
        var text = templateText.ReplaceLineEndings("\n");
        foreach (var (_, match) in Families)
        {
            template = match(text);
            if (template is not null)
            {
                return true;
            }
        }

        template = null;
        return false;
    }

    /// <summary>Recognises <paramref name="templateText"/> or explains why not.</summary>
    /// <param name="templateText">The Jinja text of <c>chat_template</c>.</param>
    /// <param name="source">Where the text comes from (a file and field), for the message.</param>
    /// <returns>The built-in template that renders exactly like it.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ChatTemplateException">The template is not one of the recognised ones; the message names
    /// <paramref name="source"/>, the family it resembles, and how to pass <c>--template</c>.</exception>
    public static ChatTemplate Recognize(string templateText, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (TryRecognize(templateText, out var template))
        {
            return template;
        }

        throw new ChatTemplateException(
            $"The chat template in {source} is not one that maskedsft recognises ({string.Join(", ", Families.Select(f => f.Family))}, "
            + $"each by the exact Jinja statements that decide its rendering); {Resemblance(templateText)}. Rendering it with a guess could "
            + "put the loss mask on the wrong tokens, so nothing was rendered. Hint: if the template renders like one of the built-in "
            + $"templates, pass --template NAME ({ChatTemplate.BuiltInNames}); otherwise describe it in a template JSON file and pass "
            + "--template FILE (docs/chat-templates.md). Check the result with `maskedsft inspect`.");
    }

    private static bool HasAll(string text, params ReadOnlySpan<string> fragments)
    {
        foreach (var fragment in fragments)
        {
            if (!text.Contains(fragment, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static ChatTemplate? Qwen3(string text) => HasAll(text,
        "'<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n'",
        ChatMlTurn,
        "(message.role == \"user\") or (message.role == \"system\" and not loop.first)",
        "message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')",
        "ns.multi_step_tool and message.role == \"user\"",
        "message.reasoning_content is defined and message.reasoning_content is not none",
        "message.content.split('</think>')[-1].lstrip('\\n')",
        "message.content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n')",
        "loop.index0 > ns.last_query_index",
        "loop.last or (not loop.last and reasoning_content)",
        "'<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n')",
        "'<|im_start|>' + message.role + '\\n' + content",
        "'<|im_end|>\\n'",
        ChatMlToolOpen,
        ChatMlToolClose,
        ChatMlPrompt,
        "enable_thinking is defined and enable_thinking is false",
        "'<think>\\n\\n</think>\\n\\n'")
        ? ChatTemplate.Qwen3
        : null;

    private static ChatTemplate? Qwen25(string text) => !text.Contains("think>", StringComparison.Ordinal) && HasAll(text,
        "'<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n'",
        "'<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n'",
        "(message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls)",
        ChatMlTurn,
        ChatMlToolOpen,
        ChatMlToolClose,
        ChatMlPrompt)
        ? ChatTemplate.Qwen25
        : null;

    private static ChatTemplate? Llama31Family(string text)
    {
        if (!HasAll(text,
            "{{- bos_token }}",
            "messages[0]['content']|trim",
            "\"<|start_header_id|>system<|end_header_id|>\\n\\n\"",
            "\"Cutting Knowledge Date: December 2023\\n\"",
            "\"Today Date: \" + date_string + \"\\n\\n\"",
            "{{- system_message }}",
            LlamaTurnEscaped,
            "\"<|start_header_id|>ipython<|end_header_id|>\\n\\n\"",
            "message.content is mapping or message.content is iterable",
            "message.content | tojson",
            "'<|start_header_id|>assistant<|end_header_id|>\\n\\n'",
            "add_generation_prompt"))
        {
            return null;
        }

        // 3.1 fixes the default date; 3.2 and 3.3 ask strftime_now first (today), then fall back to the same fixed date.
        var fixedDate = DefaultDatePattern().Match(text);
        if (!fixedDate.Success || fixedDate.Groups[1].Value != "26 Jul 2024")
        {
            return null;
        }

        return text.Contains("strftime_now(\"%d %b %Y\")", StringComparison.Ordinal) ? ChatTemplate.Llama32 : ChatTemplate.Llama31;
    }

    private static ChatTemplate? Llama3Instruct(string text)
    {
        if (text.Contains("Cutting Knowledge", StringComparison.Ordinal) || !HasAll(text,
            "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = " + LlamaTurn + " %}",
            "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"))
        {
            return null;
        }

        const string Header = "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";
        if (text.EndsWith("{% endfor %}{% if add_generation_prompt %}" + Header + "{% endif %}", StringComparison.Ordinal))
        {
            return ChatTemplate.Llama3Instruct;
        }

        return text.EndsWith("{% endfor %}" + Header, StringComparison.Ordinal) ? ChatTemplate.Llama3InstructAlwaysHeader : null;
    }

    private static string Resemblance(string text)
    {
        bool chatMl = text.Contains("<|im_start|>", StringComparison.Ordinal);
        bool llama = text.Contains("<|start_header_id|>", StringComparison.Ordinal);
        bool think = text.Contains("<think>", StringComparison.Ordinal);
        return (chatMl, llama) switch
        {
            (true, _) when think => "it looks like ChatML with <think> handling (the Qwen3 family; e.g. Qwen3-2507 or a fine-tune edited the template), "
                + "so compare it with Qwen3's before choosing qwen3",
            (true, _) => "it looks like ChatML (<|im_start|> ... <|im_end|>, the Qwen family); chatml renders plain ChatML, qwen2.5 adds Qwen2.5's default system message",
            (_, true) => "it looks like the Llama 3 family (<|start_header_id|> ... <|eot_id|>); compare it with llama3-instruct and llama3.1/llama3.2",
            _ => "it resembles none of them",
        };
    }

    [GeneratedRegex("set date_string = \"([^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultDatePattern();
}
