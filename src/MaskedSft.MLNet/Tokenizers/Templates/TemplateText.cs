// The string functions Hugging Face chat templates apply to contents, with Python's exact semantics (Jinja runs on Python).
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Python's <c>str.strip/lstrip/rstrip/split</c> and transformers' <c>tojson</c> filter, as chat templates use them.</summary>
internal static class TemplateText
{
    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit: .NET's white space plus U+001C..U+001F (bidi classes B and S).</summary>
    public static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001c' && c <= '\u001f');

    /// <summary>Python's <c>s.strip()</c> (Jinja's <c>trim</c> filter).</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsPythonSpace(s[start]))
        {
            start++;
        }

        while (end > start && IsPythonSpace(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    /// <summary>Python's <c>s.strip(chars)</c>.</summary>
    public static string Strip(string s, char c) => s.Trim(c);

    /// <summary>Python's <c>s.lstrip(chars)</c> with one character.</summary>
    public static string LStrip(string s, char c) => s.TrimStart(c);

    /// <summary>Python's <c>s.rstrip(chars)</c> with one character.</summary>
    public static string RStrip(string s, char c) => s.TrimEnd(c);

    /// <summary>Python's <c>s.split(separator)[0]</c>.</summary>
    public static string BeforeFirst(string s, string separator)
    {
        int at = s.IndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? s : s[..at];
    }

    /// <summary>Python's <c>s.split(separator)[-1]</c>.</summary>
    public static string AfterLast(string s, string separator)
    {
        int at = s.LastIndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? s : s[(at + separator.Length)..];
    }

    /// <summary>
    /// transformers' <c>tojson</c> filter on a string: Python's <c>json.dumps(s, ensure_ascii=False)</c> — quotes, <c>\"</c>,
    /// <c>\\</c>, <c>\b \f \n \r \t</c>, other control characters as <c>\u00xx</c>; everything else as is.
    /// </summary>
    public static string JsonString(string s)
    {
        var builder = new StringBuilder(s.Length + 2);
        builder.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
