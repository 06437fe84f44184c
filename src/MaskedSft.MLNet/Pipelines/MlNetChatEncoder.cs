// Adapts any Microsoft.ML.Tokenizers.Tokenizer to what chat templates need (our HuggingFaceTokenizer uses its BPE directly).
using MaskedSft.MLNet.Tokenizers.Templates;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// A chat-template encoder over an ML.NET <see cref="Tokenizer"/>. ML.NET's tokenizers cannot be told to leave special
/// tokens in message text unmatched, so every part is encoded with the tokenizer's own special-token handling; a template
/// token counts as the tokenizer's when it encodes to exactly one id that decodes back to it.
/// </summary>
internal sealed class MlNetChatEncoder(Tokenizer tokenizer) : IChatTokenEncoder
{
    /// <summary>The encoder to use for a tokenizer: our BPE for a <see cref="HuggingFaceTokenizer"/> (exact special-token
    /// control, as <c>maskedsft prepare</c>), else this adapter.</summary>
    public static IChatTokenEncoder For(Tokenizer tokenizer) =>
        tokenizer is HuggingFaceTokenizer hf ? hf.Bpe : new MlNetChatEncoder(tokenizer);

    public string Name => tokenizer.GetType().Name;

    public bool HasAddedToken(string content)
    {
        var ids = tokenizer.EncodeToIds(content);
        return ids.Count == 1 && tokenizer.Decode(ids) == content;
    }

    public void EncodeToIds(ReadOnlySpan<char> text, List<int> destination, bool allowSpecialTokens = true) =>
        destination.AddRange(tokenizer.EncodeToIds(text));

    public void EncodePartsToIds(IReadOnlyList<(string Text, bool AllowSpecial)> parts, List<int> destination) =>
        destination.AddRange(tokenizer.EncodeToIds(string.Concat(parts.Select(p => p.Text))));
}
