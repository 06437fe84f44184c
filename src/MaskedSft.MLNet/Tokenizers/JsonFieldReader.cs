// Typed access to JSON fields that reports a missing or mistyped field by its JSON path.
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>Reads fields of a tokenizer file's JSON and throws <see cref="TokenizerFormatException"/> naming the path.</summary>
internal sealed class JsonFieldReader(string filePath)
{
    /// <summary>An error at <paramref name="location"/> of the file.</summary>
    public TokenizerFormatException Error(string location, string problem) => new(filePath, location, problem);

    /// <summary>Checks the kind of <paramref name="element"/>.</summary>
    public void ExpectKind(JsonElement element, string location, JsonValueKind kind)
    {
        if (element.ValueKind != kind)
        {
            throw Error(location, $"expected {Describe(kind)}, found {Describe(element.ValueKind)}.");
        }
    }

    /// <summary>The field <paramref name="name"/> of <paramref name="parent"/>, which must exist and be of <paramref name="kind"/>.</summary>
    public JsonElement Required(JsonElement parent, string parentLocation, string name, JsonValueKind kind)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw Error($"{parentLocation}.{name}", $"the field is missing (expected {Describe(kind)}).");
        }

        ExpectKind(value, $"{parentLocation}.{name}", kind);
        return value;
    }

    /// <summary>An optional string field (null when absent or null).</summary>
    public string? OptionalString(JsonElement parent, string parentLocation, string name)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        ExpectKind(value, $"{parentLocation}.{name}", JsonValueKind.String);
        return value.GetString();
    }

    /// <summary>An optional boolean field (false when absent or null).</summary>
    public bool OptionalBool(JsonElement parent, string parentLocation, string name)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"{parentLocation}.{name}", $"expected true or false, found {Describe(value.ValueKind)}."),
        };
    }

    private static string Describe(JsonValueKind kind) => JsonKinds.Describe(kind);
}
