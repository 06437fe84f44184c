// Checks of JSON text that System.Text.Json parses but cannot turn into .NET strings: bytes that are not UTF-8 and
// escaped unpaired surrogates ("\ud800"). Reading such a string later throws InvalidOperationException far from the file;
// the readers call this right after parsing so the error names the file and where.
using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace MaskedSft.MLNet.IO;

/// <summary>Finds strings in JSON text that cannot be read as .NET strings.</summary>
internal static class JsonText
{
    /// <summary>Where the first problem is, or null when every string and property name of the document can be read.</summary>
    /// <param name="utf8">The file's bytes.</param>
    /// <param name="root">The parsed document's root.</param>
    /// <returns>"byte N: not UTF-8", or "JSON path P: an unpaired surrogate escape"; null when the text is fine.</returns>
    public static string? FindUnreadableString(ReadOnlySpan<byte> utf8, JsonElement root)
    {
        if (!Utf8.IsValid(utf8))
        {
            var status = Utf8.ToUtf16(utf8, new char[Encoding.UTF8.GetMaxCharCount(Math.Min(utf8.Length, 1 << 20))], out int read, out _, replaceInvalidSequences: false);
            return status == OperationStatus.InvalidData ? $"byte {read}: the text is not valid UTF-8" : "the text is not valid UTF-8";
        }

        // Escaped surrogates are rare; walk the tree only when the text holds one.
        if (utf8.IndexOf("\\u"u8) < 0 || !HasSurrogateEscape(utf8)) return null;
        return FindUnpairedSurrogate(root, "$");
    }

    private static bool HasSurrogateEscape(ReadOnlySpan<byte> utf8)
    {
        for (int i = utf8.IndexOf("\\u"u8); i >= 0 && i + 3 < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && (utf8[i + 1] == 'u') && (utf8[i + 2] | 0x20) == 'd' && (utf8[i + 3] | 0x20) is (byte)'8' or (byte)'9' or (byte)'a' or (byte)'b' or (byte)'c' or (byte)'d' or (byte)'e' or (byte)'f')
            {
                return true;
            }
        }

        return false;
    }

    private static string? FindUnpairedSurrogate(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(() => element.GetString()) ? null : $"JSON path {path}: an unpaired surrogate escape (\\uD800-\\uDFFF) in a string";
            case JsonValueKind.Object:
                int index = 0;
                foreach (var property in element.EnumerateObject())
                {
                    if (!Readable(() => property.Name)) return $"JSON path {path}, property {index}: an unpaired surrogate escape (\\uD800-\\uDFFF) in a name";
                    if (FindUnpairedSurrogate(property.Value, $"{path}.{property.Name}") is { } found) return found;
                    index++;
                }

                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindUnpairedSurrogate(item, $"{path}[{i++}]") is { } found) return found;
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Readable(Func<string?> read)
    {
        try
        {
            _ = read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
