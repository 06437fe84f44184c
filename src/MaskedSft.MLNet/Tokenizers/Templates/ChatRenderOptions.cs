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

    /// <summary>Append the text that opens the assistant's next turn (Hugging Face's <c>add_generation_prompt</c>), untrained.</summary>
    public bool AddGenerationPrompt { get; init; }

    /// <summary>
    /// Qwen3's <c>enable_thinking</c> (default true). When false, the generation prompt ends with an empty think block and the
    /// empty think block of a trained turn is context (mask 0), as it is part of the prompt at inference.
    /// </summary>
    public bool EnableThinking { get; init; } = true;

    /// <summary>The date of templates that write one (Llama 3.1's <c>date_string</c>, e.g. "26 Jul 2024"); null for the template's default.</summary>
    public string? DateString { get; init; }
}
