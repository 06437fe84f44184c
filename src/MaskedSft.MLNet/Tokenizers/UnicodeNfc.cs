// Unicode canonical composition (NFC) in managed code, independent of ICU and of InvariantGlobalization.
using System.Buffers;
using System.Text;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// NFC normalization (UAX #15: canonical decomposition, canonical ordering, canonical composition) from the tables in
/// <see cref="UnicodeNfcData"/>. .NET's <see cref="string.Normalize()"/> does nothing under InvariantGlobalization, so the
/// tokenizer's NFC normalizer (Qwen2/Qwen3 tokenizer.json) uses this class instead.
/// </summary>
internal static class UnicodeNfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private const byte QuickNo = 1, QuickMaybe = 2;

    private static readonly Tables Data = new();

    /// <summary>True when <paramref name="text"/> is certainly in NFC (the quick check answered Yes).</summary>
    public static bool IsNormalized(ReadOnlySpan<char> text)
    {
        // Fast path: nothing below U+0300 decomposes, composes with what precedes it, or has a combining class.
        int i = 0;
        for (; i < text.Length; i++)
        {
            if (text[i] >= '\u0300')
            {
                break;
            }
        }

        if (i == text.Length)
        {
            return true;
        }

        var tables = Data;
        int lastClass = 0;
        while (i < text.Length)
        {
            int cp = ReadCodePoint(text, ref i);
            int cc = tables.CombiningClass(cp);
            if (cc != 0 && cc < lastClass)
            {
                return false;
            }

            if (tables.QuickCheck(cp) != 0)
            {
                return false;
            }

            lastClass = cc;
        }

        return true;
    }

    /// <summary>Returns the NFC form of <paramref name="text"/>; lone surrogates are kept as they are.</summary>
    public static string Normalize(ReadOnlySpan<char> text)
    {
        if (IsNormalized(text))
        {
            return text.ToString();
        }

        var tables = Data;
        int[] buffer = ArrayPool<int>.Shared.Rent(Math.Max(16, text.Length * 4));
        try
        {
            // 1. Full canonical decomposition.
            int n = 0;
            int i = 0;
            while (i < text.Length)
            {
                int cp = ReadCodePoint(text, ref i);
                if (n + 18 > buffer.Length)
                {
                    Grow(ref buffer, n);
                }

                n = Decompose(tables, cp, buffer, n);
            }

            // 2. Canonical ordering: stable insertion sort of each run of non-starters by combining class.
            for (int k = 1; k < n; k++)
            {
                int cc = tables.CombiningClass(buffer[k]);
                if (cc == 0)
                {
                    continue;
                }

                int j = k;
                int cp = buffer[k];
                while (j > 0)
                {
                    int prevClass = tables.CombiningClass(buffer[j - 1]);
                    if (prevClass <= cc)
                    {
                        break;
                    }

                    buffer[j] = buffer[j - 1];
                    j--;
                }

                buffer[j] = cp;
            }

            // 3. Canonical composition.
            int length = Compose(tables, buffer, n);
            var builder = new StringBuilder(length);
            for (int k = 0; k < length; k++)
            {
                int cp = buffer[k];
                if (cp < 0x10000)
                {
                    builder.Append((char)cp);
                }
                else
                {
                    builder.Append(char.ConvertFromUtf32(cp));
                }
            }

            return builder.ToString();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private static void Grow(ref int[] buffer, int used)
    {
        int[] larger = ArrayPool<int>.Shared.Rent(buffer.Length * 2);
        Array.Copy(buffer, larger, used);
        ArrayPool<int>.Shared.Return(buffer);
        buffer = larger;
    }

    private static int Decompose(Tables tables, int cp, int[] output, int n)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            output[n++] = LBase + (s / NCount);
            output[n++] = VBase + (s % NCount / TCount);
            int t = s % TCount;
            if (t != 0)
            {
                output[n++] = TBase + t;
            }

            return n;
        }

        if (tables.Decompositions.TryGetValue(cp, out var range))
        {
            var source = UnicodeNfcData.DecompositionCodePoints.Slice(range.Start, range.Length);
            for (int k = 0; k < source.Length; k++)
            {
                output[n++] = source[k];
            }

            return n;
        }

        output[n++] = cp;
        return n;
    }

    private static int Compose(Tables tables, int[] buffer, int n)
    {
        if (n == 0)
        {
            return 0;
        }

        int starterIndex = tables.CombiningClass(buffer[0]) == 0 ? 0 : -1;
        int write = 1;
        int lastClass = starterIndex == 0 ? 0 : 256;
        for (int read = 1; read < n; read++)
        {
            int cp = buffer[read];
            int cc = tables.CombiningClass(cp);
            if (starterIndex >= 0)
            {
                int starter = buffer[starterIndex];
                bool blocked = write - 1 != starterIndex && (lastClass == 0 || lastClass >= cc);
                if (!blocked && TryCompose(tables, starter, cp, out int composite))
                {
                    buffer[starterIndex] = composite;
                    continue;
                }
            }

            if (cc == 0)
            {
                starterIndex = write;
            }

            lastClass = cc;
            buffer[write++] = cp;
        }

        return write;
    }

    private static bool TryCompose(Tables tables, int first, int second, out int composite)
    {
        // Hangul LV and LVT syllables.
        if (first >= LBase && first < LBase + LCount && second >= VBase && second < VBase + VCount)
        {
            composite = SBase + ((((first - LBase) * VCount) + (second - VBase)) * TCount);
            return true;
        }

        if (first >= SBase && first < SBase + SCount && (first - SBase) % TCount == 0 && second > TBase && second < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }

        return tables.Compositions.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private static int ReadCodePoint(ReadOnlySpan<char> text, ref int i)
    {
        char c = text[i++];
        if (char.IsHighSurrogate(c) && i < text.Length && char.IsLowSurrogate(text[i]))
        {
            return char.ConvertToUtf32(c, text[i++]);
        }

        return c;
    }

    /// <summary>The tables unpacked into lookup structures, built once.</summary>
    private sealed class Tables
    {
        private readonly byte[] _bmpClass = new byte[0x10000];
        private readonly Dictionary<int, byte> _astralClass = [];
        private readonly byte[] _bmpQuick = new byte[0x10000];
        private readonly Dictionary<int, byte> _astralQuick = [];

        public Tables()
        {
            var classes = UnicodeNfcData.CombiningClasses;
            for (int k = 0; k < classes.Length; k += 2)
            {
                Set(_bmpClass, _astralClass, classes[k], (byte)classes[k + 1]);
            }

            var index = UnicodeNfcData.DecompositionIndex;
            for (int k = 0; k < index.Length; k += 3)
            {
                Decompositions[index[k]] = (index[k + 1], index[k + 2]);
            }

            var triples = UnicodeNfcData.CompositionTriples;
            for (int k = 0; k < triples.Length; k += 3)
            {
                Compositions[((long)triples[k] << 21) | (uint)triples[k + 1]] = triples[k + 2];
            }

            foreach (int cp in UnicodeNfcData.QuickCheckNo)
            {
                Set(_bmpQuick, _astralQuick, cp, QuickNo);
            }

            foreach (int cp in UnicodeNfcData.QuickCheckMaybe)
            {
                Set(_bmpQuick, _astralQuick, cp, QuickMaybe);
            }

            for (int cp = VBase; cp < VBase + VCount; cp++)
            {
                _bmpQuick[cp] = QuickMaybe;
            }

            for (int cp = TBase + 1; cp < TBase + TCount; cp++)
            {
                _bmpQuick[cp] = QuickMaybe;
            }
        }

        public Dictionary<int, (int Start, int Length)> Decompositions { get; } = [];

        public Dictionary<long, int> Compositions { get; } = [];

        public int CombiningClass(int cp) =>
            cp < 0x10000 ? _bmpClass[cp] : _astralClass.GetValueOrDefault(cp);

        public int QuickCheck(int cp) =>
            cp < 0x10000 ? _bmpQuick[cp] : _astralQuick.GetValueOrDefault(cp);

        private static void Set(byte[] bmp, Dictionary<int, byte> astral, int cp, byte value)
        {
            if (cp < 0x10000)
            {
                bmp[cp] = value;
            }
            else
            {
                astral[cp] = value;
            }
        }
    }
}
