// A token that is matched in the input text as a whole before any pre-tokenization (special and added tokens).
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// An added token of a tokenizer (tokenizer.json's <c>added_tokens</c>): its text is found in the input and becomes one id,
/// never split by the pre-tokenizer or the merges. Special tokens (<see cref="Special"/>) are the control tokens such as
/// <c>&lt;|im_end|&gt;</c>; <see cref="BpeTokenizer.EncodeToIds(ReadOnlySpan{char}, bool)"/> can be told to treat them as text.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Special">True for a special (control) token.</param>
/// <param name="Normalized">True when the token is matched in the normalized text rather than the raw input.</param>
/// <param name="LeftStrip">True when white space before the token is absorbed into it.</param>
/// <param name="RightStrip">True when white space after the token is absorbed into it.</param>
/// <param name="SingleWord">True when the token only matches where it is not inside a word.</param>
public sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool Normalized = false,
    bool LeftStrip = false,
    bool RightStrip = false,
    bool SingleWord = false);
