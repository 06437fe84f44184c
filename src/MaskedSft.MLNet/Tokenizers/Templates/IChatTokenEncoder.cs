// What a chat template needs from a tokenizer: encode texts (with or without special tokens) and know its added tokens.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// The tokenizer as <see cref="ChatTemplate.Render(IReadOnlyList{ChatMessage}, IChatTokenEncoder, ChatRenderOptions?)"/>
/// uses it. <see cref="BpeTokenizer"/> implements it; the ML.NET components adapt any
/// <c>Microsoft.ML.Tokenizers.Tokenizer</c> to it.
/// </summary>
public interface IChatTokenEncoder
{
    /// <summary>A name for messages.</summary>
    string Name { get; }

    /// <summary>Whether <paramref name="content"/> is one added (special or control) token of the tokenizer.</summary>
    /// <param name="content">Token text, e.g. <c>&lt;|im_end|&gt;</c>.</param>
    /// <returns>Whether the text encodes as that single token.</returns>
    bool HasAddedToken(string content);

    /// <summary>Encodes <paramref name="text"/> and appends the ids.</summary>
    /// <param name="text">The text.</param>
    /// <param name="destination">Receives the ids.</param>
    /// <param name="allowSpecialTokens">Whether special tokens written in the text are matched (tokenizers that cannot
    /// turn matching off ignore false).</param>
    void EncodeToIds(ReadOnlySpan<char> text, List<int> destination, bool allowSpecialTokens = true);

    /// <summary>Encodes the concatenation of <paramref name="parts"/> as one text and appends the ids.</summary>
    /// <param name="parts">Texts and whether special tokens are matched in each.</param>
    /// <param name="destination">Receives the ids.</param>
    void EncodePartsToIds(IReadOnlyList<(string Text, bool AllowSpecial)> parts, List<int> destination);
}
