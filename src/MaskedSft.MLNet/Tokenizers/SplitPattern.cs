// The pre-tokenizer split regexes that the tokenizer recognizes and runs as hand-written scanners.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>The split regex of a byte-level BPE tokenizer's pre-tokenizer.</summary>
public enum SplitPattern
{
    /// <summary>
    /// GPT-2 (Hugging Face ByteLevel pre-tokenizer with use_regex):
    /// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.
    /// </summary>
    Gpt2,

    /// <summary>
    /// Qwen2 / Qwen3 (Split pre-tokenizer, single digits):
    /// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
    /// </summary>
    Qwen2,

    /// <summary>
    /// Llama 3 and cl100k (Split pre-tokenizer, digits in groups of up to three): as <see cref="Qwen2"/> with
    /// <c>\p{N}{1,3}</c> in place of <c>\p{N}</c>.
    /// </summary>
    Llama3,
}
