// Where each token of an encoding lies in the text: byte ranges mapped to character ranges, and clean cut points.
using System.Text;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// The character layout of a byte-level BPE encoding: the tokens' bytes, concatenated, are the UTF-8 of the text (of the
/// normalized text when the tokenizer changes it), so each token boundary is a byte offset that maps to a character offset.
/// A character belongs to the token that holds its first byte; a cut is clean where a character boundary is.
/// </summary>
internal sealed class TokenLayout
{
    private readonly int[] _byteEnds;      // (n) byte offset just after token i
    private readonly int[] _charAtByte;    // (bytes + 1) index of the first character boundary at or after each byte
    private readonly bool[] _isBoundary;   // (bytes + 1) whether a character starts (or the text ends) at the byte

    private TokenLayout(int[] byteEnds, int[] charAtByte, bool[] isBoundary, string? normalizedText)
    {
        _byteEnds = byteEnds;
        _charAtByte = charAtByte;
        _isBoundary = isBoundary;
        NormalizedText = normalizedText;
    }

    /// <summary>The text the offsets refer to when it is not the input (normalization changed it), else null.</summary>
    public string? NormalizedText { get; }

    /// <summary>Lays out the encoding <paramref name="ids"/> of <paramref name="input"/>.</summary>
    public static TokenLayout Build(BpeTokenizer bpe, ReadOnlySpan<char> input, int[] ids)
    {
        string? normalized = null;
        if (bpe.ChangesText)
        {
            string spelled = bpe.Decode(ids);
            normalized = input.SequenceEqual(spelled) ? null : spelled;
        }

        ReadOnlySpan<char> text = normalized is null ? input : normalized.AsSpan();
        var byteEnds = new int[ids.Length];
        int total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            total += bpe.TokenToBytes(ids[i]).Length;
            byteEnds[i] = total;
        }

        // Walk the text's characters as UTF-8 would encode them (an unpaired surrogate becomes U+FFFD, 3 bytes).
        int textBytes = Encoding.UTF8.GetByteCount(text);
        int size = Math.Max(total, textBytes);
        var charAtByte = new int[size + 1];
        var isBoundary = new bool[size + 1];
        int b = 0;
        for (int c = 0; c < text.Length;)
        {
            Rune.DecodeFromUtf16(text[c..], out Rune rune, out int charsUsed);
            int length = rune.Utf8SequenceLength;
            charAtByte[b] = c;
            isBoundary[b] = true;
            for (int k = 1; k < length; k++)
            {
                charAtByte[b + k] = c + charsUsed;
            }

            b += length;
            c += charsUsed;
        }

        for (; b <= size; b++)
        {
            charAtByte[b] = text.Length;
            isBoundary[b] = true;
        }

        return new TokenLayout(byteEnds, charAtByte, isBoundary, normalized);
    }

    /// <summary>The character offset where token <paramref name="index"/> starts.</summary>
    public int CharStartOf(int index) => index == 0 ? 0 : _charAtByte[_byteEnds[index - 1]];

    /// <summary>The character offset just after the first <paramref name="count"/> tokens.</summary>
    public int CharEndOf(int count) => count == 0 ? 0 : _charAtByte[_byteEnds[count - 1]];

    /// <summary>The largest k &lt;= <paramref name="max"/> such that the first k tokens end on a character boundary.</summary>
    public int LongestCleanPrefix(int max)
    {
        int k = Math.Min(max, _byteEnds.Length);
        while (k > 0 && !_isBoundary[_byteEnds[k - 1]])
        {
            k--;
        }

        return k;
    }

    /// <summary>The largest k &lt;= <paramref name="max"/> such that the last k tokens start on a character boundary.</summary>
    public int LongestCleanSuffix(int max)
    {
        int n = _byteEnds.Length;
        int k = Math.Min(max, n);
        while (k > 0 && !_isBoundary[n - k == 0 ? 0 : _byteEnds[n - k - 1]])
        {
            k--;
        }

        return k;
    }
}
