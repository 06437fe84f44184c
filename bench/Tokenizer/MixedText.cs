// Deterministic generator of mixed benchmark text: prose in several scripts, code, numbers, URLs, emoji, white space.
using System.Text;

namespace MaskedSft.Bench.Tokenizer;

/// <summary>
/// Builds documents of mixed text from seeded pseudo-random choices. Words come from generated lexicons (one per script)
/// with Zipf-distributed frequencies, so that frequent words repeat as in real text while a long tail of rare words keeps
/// the BPE merge loop and the caches honest.
/// </summary>
internal sealed class MixedText
{
    private readonly Random _rng;
    private readonly string[] _latin;
    private readonly string[] _cyrillic;
    private readonly string[] _greek;
    private readonly string[] _arabic;
    private readonly string[] _devanagari;
    private readonly string[] _identifiers;
    private readonly Dictionary<int, double[]> _zipf = [];

    public MixedText(int seed)
    {
        _rng = new Random(seed);
        _latin = Lexicon("bcdfghjklmnprstvwz", "aeiouy", 30_000);
        _cyrillic = Lexicon("бвгджзклмнпрстфхцчшщ", "аеёиоуыэюя", 8_000);
        _greek = Lexicon("βγδζθκλμνξπρστφχψ", "αεηιουωάέίόύ", 5_000);
        _arabic = Lexicon("بتثجحخدذرزسشصضطظعغفقكلمنهوي", "اوي", 5_000);
        _devanagari = Lexicon("कखगघचछजझटठडढतथदधनपफबभमयरलवशसह", "ािीुूेैोौं", 5_000);
        _identifiers = Lexicon("bcdfghklmnprstvxz", "aeiou", 4_000);
    }

    /// <summary>Documents of about 4 KB each, adding up to at least <paramref name="totalBytes"/> UTF-8 bytes.</summary>
    public List<string> Documents(long totalBytes)
    {
        var documents = new List<string>();
        long bytes = 0;
        while (bytes < totalBytes)
        {
            string document = Document(_rng.Next(2_000, 6_000));
            documents.Add(document);
            bytes += Encoding.UTF8.GetByteCount(document);
        }

        return documents;
    }

    private string Document(int targetChars)
    {
        var sb = new StringBuilder(targetChars + 256);
        while (sb.Length < targetChars)
        {
            double r = _rng.NextDouble();
            if (r < 0.45)
            {
                Prose(sb, _latin, ' ', ". ");
            }
            else if (r < 0.60)
            {
                Code(sb);
            }
            else if (r < 0.68)
            {
                Cjk(sb);
            }
            else if (r < 0.74)
            {
                Prose(sb, _cyrillic, ' ', ". ");
            }
            else if (r < 0.78)
            {
                Prose(sb, _greek, ' ', ". ");
            }
            else if (r < 0.82)
            {
                Prose(sb, _arabic, ' ', "، ");
            }
            else if (r < 0.86)
            {
                Prose(sb, _devanagari, ' ', "। ");
            }
            else if (r < 0.93)
            {
                Numbers(sb);
            }
            else
            {
                Web(sb);
            }

            sb.Append(_rng.NextDouble() < 0.3 ? "\n\n" : _rng.NextDouble() < 0.5 ? "\n" : " ");
        }

        return sb.ToString();
    }

    private void Prose(StringBuilder sb, string[] lexicon, char space, string stop)
    {
        int sentences = _rng.Next(1, 4);
        for (int s = 0; s < sentences; s++)
        {
            int words = _rng.Next(5, 25);
            for (int w = 0; w < words; w++)
            {
                string word = lexicon[Zipf(lexicon.Length)];
                if (w == 0 && lexicon == _latin)
                {
                    word = char.ToUpperInvariant(word[0]) + word[1..];
                }

                sb.Append(word);
                double p = _rng.NextDouble();
                sb.Append(p < 0.06 ? ", " : p < 0.07 ? "'s " : p < 0.075 ? " (" + lexicon[Zipf(lexicon.Length)] + ") " : w == words - 1 ? string.Empty : space.ToString());
            }

            sb.Append(stop);
        }
    }

    private void Code(StringBuilder sb)
    {
        string name = _identifiers[Zipf(_identifiers.Length)];
        string arg = _identifiers[Zipf(_identifiers.Length)];
        switch (_rng.Next(4))
        {
            case 0:
                sb.Append("def ").Append(name).Append('_').Append(arg).Append('(').Append(arg).Append(", n=").Append(_rng.Next(100)).Append("):\n");
                sb.Append("    for i in range(n):\n        ").Append(arg).Append(" = ").Append(arg).Append(" * 2 + i  # ").Append(_latin[Zipf(_latin.Length)]).Append('\n');
                sb.Append("    return ").Append(arg).Append('\n');
                break;
            case 1:
                sb.Append("public static int ").Append(char.ToUpperInvariant(name[0])).Append(name[1..]).Append("(int[] ").Append(arg).Append(")\n{\n");
                sb.Append("\tint sum = 0;\n\tforeach (var x in ").Append(arg).Append(") { sum += x % ").Append(_rng.Next(2, 97)).Append("; }\n\treturn sum;\n}\n");
                break;
            case 2:
                sb.Append("const ").Append(name).Append(" = await fetch(`/api/v").Append(_rng.Next(1, 4)).Append('/').Append(arg).Append("?id=${id}`);\n");
                sb.Append("if (!").Append(name).Append(".ok) throw new Error(\"").Append(_latin[Zipf(_latin.Length)]).Append(" failed\");\n");
                break;
            default:
                sb.Append("{\"").Append(name).Append("\": [").Append(_rng.Next(1000)).Append(", ").Append(_rng.NextDouble().ToString("F4", System.Globalization.CultureInfo.InvariantCulture))
                    .Append("], \"").Append(arg).Append("\": {\"enabled\": true, \"tags\": [\"").Append(_latin[Zipf(_latin.Length)]).Append("\"]}}\n");
                break;
        }
    }

    private void Cjk(StringBuilder sb)
    {
        int length = _rng.Next(10, 80);
        for (int i = 0; i < length; i++)
        {
            // Common CJK ideographs with a frequency skew, hiragana now and then, and CJK punctuation.
            double r = _rng.NextDouble();
            sb.Append(r < 0.75 ? (char)(0x4E00 + Zipf(3000)) : r < 0.9 ? (char)(0x3041 + _rng.Next(80)) : "，。、「」"[_rng.Next(5)]);
        }
    }

    private void Numbers(StringBuilder sb)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        switch (_rng.Next(3))
        {
            case 0:
                sb.Append(_rng.Next(1900, 2100)).Append('-').Append(_rng.Next(1, 13).ToString("D2", c)).Append('-').Append(_rng.Next(1, 29).ToString("D2", c));
                break;
            case 1:
                sb.Append('$').Append(_rng.Next(1, 100000).ToString("N0", c)).Append('.').Append(_rng.Next(100).ToString("D2", c));
                break;
            default:
                sb.Append((_rng.NextDouble() * 1e6).ToString("G9", c)).Append(" ± ").Append(_rng.NextDouble().ToString("F3", c));
                break;
        }
    }

    private void Web(StringBuilder sb)
    {
        string[] emoji = ["😀", "👍🏽", "🎉", "❤️", "🚀", "👨‍👩‍👧", "🇫🇷", "✅", "🤔", "🔥"];
        if (_rng.Next(2) == 0)
        {
            sb.Append("https://www.").Append(_latin[Zipf(_latin.Length)]).Append(".com/").Append(_identifiers[Zipf(_identifiers.Length)]).Append("/")
                .Append(_rng.Next(100000)).Append("?ref=").Append(_identifiers[Zipf(_identifiers.Length)]);
        }
        else
        {
            sb.Append(_latin[Zipf(_latin.Length)]).Append(' ').Append(emoji[_rng.Next(emoji.Length)]).Append(emoji[_rng.Next(emoji.Length)]).Append(" @")
                .Append(_identifiers[Zipf(_identifiers.Length)]).Append(" #").Append(_latin[Zipf(_latin.Length)]);
        }
    }

    /// <summary>A rank in [0, size) drawn with probability proportional to 1 / (rank + 1)^1.07.</summary>
    private int Zipf(int size)
    {
        if (!_zipf.TryGetValue(size, out var cumulative))
        {
            _zipf[size] = cumulative = Cumulative(size, 1.07);
        }

        double u = _rng.NextDouble() * cumulative[^1];
        int index = Array.BinarySearch(cumulative, u);
        return Math.Min(index < 0 ? ~index : index, size - 1);
    }

    private string[] Lexicon(string consonants, string vowels, int count)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        var sb = new StringBuilder();
        while (words.Count < count)
        {
            sb.Clear();
            int syllables = 1 + (int)Math.Min(5, -Math.Log(1 - _rng.NextDouble()) * 1.3);
            for (int s = 0; s < syllables; s++)
            {
                sb.Append(consonants[_rng.Next(consonants.Length)]).Append(vowels[_rng.Next(vowels.Length)]);
                if (_rng.NextDouble() < 0.3)
                {
                    sb.Append(consonants[_rng.Next(consonants.Length)]);
                }
            }

            words.Add(sb.ToString());
        }

        return [.. words];
    }

    private static double[] Cumulative(int size, double exponent)
    {
        var cumulative = new double[size];
        double sum = 0;
        for (int k = 0; k < size; k++)
        {
            sum += 1 / Math.Pow(k + 1, exponent);
            cumulative[k] = sum;
        }

        return cumulative;
    }
}
