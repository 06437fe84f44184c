// Which assistant turns of a conversation are trained.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Which assistant turns get loss mask 1.</summary>
public enum AssistantTurns
{
    /// <summary>Every assistant turn (content and end-of-turn token).</summary>
    All,

    /// <summary>Only the last assistant turn; earlier ones are context (mask 0).</summary>
    Last,
}
