// What part of a rendered conversation a span of tokens is.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>The part of a rendered conversation a <see cref="ChatSpan"/> covers.</summary>
public enum ChatSpanKind
{
    /// <summary>
    /// Untrained text between trained spans: template text (begin/end, role headers, separators) and the messages that are
    /// not trained, tokenized together as one text.
    /// </summary>
    Context,

    /// <summary>The content of a trained assistant turn.</summary>
    Content,

    /// <summary>The end-of-turn text that closes a trained assistant turn.</summary>
    EndOfTurn,
}
