// How error messages about JSON input name the kind of a value ("an object", "a string", ...).
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>Names JSON value kinds for error messages about tokenizer files and input lines.</summary>
internal static class JsonKinds
{
    /// <summary>"an object", "an array", "a string", "a number", "a boolean", "null".</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    /// <summary>The kind of <paramref name="element"/>, as <see cref="Describe(JsonValueKind)"/> names it.</summary>
    public static string Describe(JsonElement element) => Describe(element.ValueKind);
}
