// Hand-written scanners that split text exactly as the GPT-2, Qwen2 and Llama 3 pre-tokenizer regexes do.
using System.Runtime.CompilerServices;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Splits text into pre-tokens with the leftmost-first, backtracking semantics of the regex named by
/// <see cref="SplitPattern"/>, working on code points (so letters outside the BMP are <c>\p{L}</c>, unlike .NET's Regex
/// which sees surrogate halves). Each call to <see cref="NextLength"/> returns the length of the match at a position;
/// these regexes match at every position, so consecutive matches tile the text.
/// </summary>
internal sealed class RegexPreTokenizer
{
    private readonly SplitPattern _pattern;
    private readonly int _maxDigits;

    /// <summary>Creates the scanner of <paramref name="pattern"/>.</summary>
    public RegexPreTokenizer(SplitPattern pattern)
    {
        _pattern = pattern;
        _maxDigits = pattern switch
        {
            SplitPattern.Qwen2 => 1,
            SplitPattern.Llama3 => 3,
            _ => int.MaxValue,
        };
    }

    /// <summary>The regex this scanner implements.</summary>
    public SplitPattern Pattern => _pattern;

    /// <summary>The regex text of <paramref name="pattern"/> as it appears in tokenizer.json.</summary>
    public static string RegexOf(SplitPattern pattern) => pattern switch
    {
        SplitPattern.Gpt2 => @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+",
        SplitPattern.Qwen2 => @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        SplitPattern.Llama3 => @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern, "Unknown split pattern."),
    };

    /// <summary>Recognizes the regex text of a known pattern; false for any other regex.</summary>
    public static bool TryRecognize(string regex, out SplitPattern pattern)
    {
        foreach (var candidate in (ReadOnlySpan<SplitPattern>)[SplitPattern.Gpt2, SplitPattern.Qwen2, SplitPattern.Llama3])
        {
            if (string.Equals(regex, RegexOf(candidate), StringComparison.Ordinal))
            {
                pattern = candidate;
                return true;
            }
        }

        pattern = default;
        return false;
    }

    /// <summary>Length in chars of the pre-token that starts at <paramref name="start"/> (at least 1 before the end).</summary>
    public int NextLength(ReadOnlySpan<char> text, int start) =>
        _pattern == SplitPattern.Gpt2 ? NextGpt2(text, start) : NextQwen(text, start);

    private int NextQwen(ReadOnlySpan<char> text, int i)
    {
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (text[i] == '\'')
        {
            int contraction = Contraction(text, i, ignoreCase: true);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        var kind = CodePointClass.At(text, i, out int width);

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (kind == CodePointKind.Letter)
        {
            return RunOf(text, i, CodePointKind.Letter) - i;
        }

        if (kind is CodePointKind.Other or CodePointKind.Space
            && CodePointClass.At(text, i + width, out _) == CodePointKind.Letter && i + width < text.Length)
        {
            return RunOf(text, i + width, CodePointKind.Letter) - i;
        }

        // \p{N} or \p{N}{1,3}
        if (kind == CodePointKind.Number)
        {
            int end = i + width;
            for (int digits = 1; digits < _maxDigits; digits++)
            {
                if (CodePointClass.At(text, end, out int w) != CodePointKind.Number || w == 0)
                {
                    break;
                }

                end += w;
            }

            return end - i;
        }

        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int p = text[i] == ' ' ? i + 1 : i;
        if (p < text.Length && CodePointClass.At(text, p, out _) == CodePointKind.Other)
        {
            int end = RunOf(text, p, CodePointKind.Other);
            while (end < text.Length && (text[end] == '\r' || text[end] == '\n'))
            {
                end++;
            }

            return end - i;
        }

        // What is left starts with whitespace (white space is always a single BMP char).
        int runEnd = i;
        int lastNewline = -1;
        while (runEnd < text.Length)
        {
            var k = CodePointClass.Of(text[runEnd]);
            if (k == CodePointKind.Newline)
            {
                lastNewline = runEnd;
            }
            else if (k != CodePointKind.Space)
            {
                break;
            }

            runEnd++;
        }

        // \s*[\r\n]+ : greedy \s* backtracks to the last CR/LF of the run.
        if (lastNewline >= 0)
        {
            return lastNewline + 1 - i;
        }

        return WhiteSpaceTail(text, i, runEnd);
    }

    private static int NextGpt2(ReadOnlySpan<char> text, int i)
    {
        // 's|'t|'re|'ve|'m|'ll|'d
        if (text[i] == '\'')
        {
            int contraction = Contraction(text, i, ignoreCase: false);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        // ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+'
        int p = text[i] == ' ' ? i + 1 : i;
        var kind = CodePointClass.At(text, p, out _);
        if (p < text.Length && kind is CodePointKind.Letter or CodePointKind.Number or CodePointKind.Other)
        {
            return RunOf(text, p, kind) - i;
        }

        int runEnd = i;
        while (runEnd < text.Length && CodePointClass.IsWhiteSpace(text[runEnd]))
        {
            runEnd++;
        }

        return WhiteSpaceTail(text, i, runEnd);
    }

    /// <summary><c>\s+(?!\S)|\s+</c> on the white-space run [start, runEnd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WhiteSpaceTail(ReadOnlySpan<char> text, int start, int runEnd)
    {
        if (runEnd == text.Length || runEnd - start < 2)
        {
            return runEnd - start;
        }

        // Backtrack one char so that the next pre-token starts with a space.
        return runEnd - 1 - start;
    }

    /// <summary>End of the run of code points of class <paramref name="kind"/> starting at <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RunOf(ReadOnlySpan<char> text, int start, CodePointKind kind)
    {
        int end = start;
        while (end < text.Length)
        {
            char c = text[end];
            if (c < 0x80)
            {
                if (CodePointClass.Of(c) != kind)
                {
                    break;
                }

                end++;
                continue;
            }

            if (CodePointClass.At(text, end, out int w) != kind)
            {
                break;
            }

            end += w;
        }

        return end;
    }

    /// <summary>Length of the contraction ('s, 't, 're, 've, 'm, 'll, 'd) at <paramref name="i"/>, or 0.</summary>
    private static int Contraction(ReadOnlySpan<char> text, int i, bool ignoreCase)
    {
        if (i + 1 >= text.Length)
        {
            return 0;
        }

        char a = Fold(text[i + 1], ignoreCase);
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (i + 2 >= text.Length)
        {
            return 0;
        }

        char b = Fold(text[i + 2], ignoreCase);
        return (a, b) switch
        {
            ('r', 'e') or ('v', 'e') or ('l', 'l') => 3,
            _ => 0,
        };
    }

    /// <summary>Simple Unicode case folding restricted to what the contractions can match.</summary>
    private static char Fold(char c, bool ignoreCase)
    {
        if (!ignoreCase)
        {
            return c;
        }

        if (c is >= 'A' and <= 'Z')
        {
            return (char)(c + 32);
        }

        // U+017F LATIN SMALL LETTER LONG S folds to 's'; U+212A KELVIN SIGN to 'k' (not used here).
        return c == '\u017F' ? 's' : c;
    }
}
