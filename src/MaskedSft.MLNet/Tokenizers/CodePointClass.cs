// Classification of code points into the classes that the pre-tokenizer regexes use: \p{L}, \p{N}, \s, [\r\n], other.
using System.Globalization;
using System.Runtime.CompilerServices;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>The class of a code point as the GPT-2 / Qwen2 / Llama 3 split regexes see it.</summary>
internal enum CodePointKind : byte
{
    /// <summary>None of the classes below (punctuation, symbols, marks, emoji, controls...).</summary>
    Other = 0,

    /// <summary><c>\p{L}</c>: Lu, Ll, Lt, Lm, Lo.</summary>
    Letter = 1,

    /// <summary><c>\p{N}</c>: Nd, Nl, No.</summary>
    Number = 2,

    /// <summary><c>\s</c> (Unicode White_Space) other than CR and LF.</summary>
    Space = 3,

    /// <summary>CR or LF (also in <c>\s</c>).</summary>
    Newline = 4,
}

/// <summary>Looks up <see cref="CodePointKind"/>: a table for the BMP, the Unicode category for other planes.</summary>
internal static class CodePointClass
{
    private static readonly CodePointKind[] Bmp = Build();

    /// <summary>The class of the BMP character <paramref name="c"/> (surrogates are <see cref="CodePointKind.Other"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CodePointKind Of(char c) => Bmp[c];

    /// <summary>The class of any code point.</summary>
    public static CodePointKind Of(int codePoint) =>
        codePoint < 0x10000 ? Bmp[codePoint] : FromCategory(CharUnicodeInfo.GetUnicodeCategory(codePoint));

    /// <summary>
    /// Reads the code point at <paramref name="index"/> (a surrogate pair counts as one; a lone surrogate as itself) and
    /// returns its class; <paramref name="length"/> receives its length in chars (0 at the end of the text).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CodePointKind At(ReadOnlySpan<char> text, int index, out int length)
    {
        if ((uint)index >= (uint)text.Length)
        {
            length = 0;
            return CodePointKind.Other;
        }

        char c = text[index];
        if (!char.IsHighSurrogate(c) || index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
        {
            length = 1;
            return Bmp[c];
        }

        length = 2;
        return FromCategory(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[index + 1])));
    }

    /// <summary>True for Unicode White_Space (what Rust's <c>char::is_whitespace</c> and the regexes' <c>\s</c> accept).</summary>
    public static bool IsWhiteSpace(char c) => Bmp[c] is CodePointKind.Space or CodePointKind.Newline;

    private static CodePointKind FromCategory(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodePointKind.Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodePointKind.Number,
        _ => CodePointKind.Other,
    };

    private static CodePointKind[] Build()
    {
        var table = new CodePointKind[0x10000];
        for (int c = 0; c < table.Length; c++)
        {
            table[c] = FromCategory(CharUnicodeInfo.GetUnicodeCategory((char)c));
        }

        // Unicode White_Space (the same set for Oniguruma's and Rust's \s).
        ReadOnlySpan<int> spaces =
        [
            0x09, 0x0B, 0x0C, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
            0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
        ];
        foreach (int c in spaces)
        {
            table[c] = CodePointKind.Space;
        }

        table['\r'] = CodePointKind.Newline;
        table['\n'] = CodePointKind.Newline;
        return table;
    }
}
