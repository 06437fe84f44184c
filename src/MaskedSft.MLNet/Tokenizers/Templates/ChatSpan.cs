// A run of tokens of a rendered conversation: untrained context, or the content or end of turn of a trained message.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Tokens [Start, Start + Length) of a <see cref="ChatRendering"/> and where they came from.</summary>
/// <param name="Start">Index of the first token.</param>
/// <param name="Length">Number of tokens.</param>
/// <param name="MessageIndex">Index of the trained message, or -1 for <see cref="ChatSpanKind.Context"/>.</param>
/// <param name="Kind">Context, or the content or end of turn of a trained message.</param>
public sealed record ChatSpan(int Start, int Length, int MessageIndex, ChatSpanKind Kind)
{
    /// <summary>True when these tokens have mask 1 (every kind but <see cref="ChatSpanKind.Context"/>).</summary>
    public bool Trained => Kind != ChatSpanKind.Context;
}
