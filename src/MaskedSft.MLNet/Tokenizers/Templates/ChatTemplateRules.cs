// What a chat template does beyond wrapping each message: default system turn, system preamble, reasoning, generation prompt.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// The parts of a Hugging Face chat template that are more than per-role prefixes and suffixes, so that a recognised
/// template renders exactly as its Jinja text does (see <see cref="ChatTemplateRecognizer"/>).
/// </summary>
public sealed record ChatTemplateRules
{
    /// <summary>No extra behaviour: the template is its roles, begin and end.</summary>
    public static ChatTemplateRules None { get; } = new();

    /// <summary>
    /// The system message rendered first when the conversation does not start with one (Qwen2.5's "You are Qwen, ...";
    /// the empty string for Llama 3.1's always-present system header), or null for none.
    /// </summary>
    public string? DefaultSystemMessage { get; init; }

    /// <summary>
    /// Text put before the content of the system message that opens the conversation (Llama 3.1's "Cutting Knowledge
    /// Date: ...\nToday Date: {date}\n\n"); <c>{date}</c> is replaced by <see cref="ChatRenderOptions.DateString"/>, else
    /// <see cref="DefaultDate"/>.
    /// </summary>
    public string LeadingSystemPreamble { get; init; } = string.Empty;

    /// <summary>The date written for <c>{date}</c> when the render options give none; null means today, as <c>"%d %b %Y"</c>
    /// (what transformers' <c>strftime_now</c> gives Llama 3.2's template).</summary>
    public string? DefaultDate { get; init; }

    /// <summary>How assistant reasoning is rendered.</summary>
    public ReasoningFormat Reasoning { get; init; }

    /// <summary>The text appended for <see cref="ChatRenderOptions.AddGenerationPrompt"/>; null means the assistant prefix.</summary>
    public string? GenerationPrompt { get; init; }
}
