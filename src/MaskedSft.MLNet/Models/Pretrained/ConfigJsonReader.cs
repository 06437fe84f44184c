// Typed reads of a model config's JSON fields that report a missing or mistyped field by file, field and hint.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Reads fields of a JSON object from a config file and throws <see cref="ModelConfigException"/> naming them.</summary>
internal sealed class ConfigJsonReader(string filePath, string hint)
{
    /// <summary>The file (for messages).</summary>
    public string FilePath => filePath;

    /// <summary>Parses the file's text into an object.</summary>
    public JsonObject ParseObject(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ModelConfigException(filePath, "$", $"not valid JSON ({e.Message}).", hint, e);
        }

        var root = node as JsonObject ?? throw Error("$", "the file must hold a JSON object.");
        try
        {
            Materialize(root);
        }
        catch (ArgumentException e)
        {
            throw new ModelConfigException(filePath, "$", $"a field name appears twice in one object ({e.Message}).", hint, e);
        }
        catch (InvalidOperationException e)
        {
            throw new ModelConfigException(filePath, "$", $"a string holds an unpaired surrogate escape (\\uD800-\\uDFFF) ({e.Message}).", hint, e);
        }

        return root;
    }

    /// <summary>Reads every name and string once: JsonNode defers both, and then throws ArgumentException (a name twice)
    /// or InvalidOperationException (an unpaired surrogate) from whichever field reader touches them first.</summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) Materialize(child);
                break;
            case JsonArray a:
                foreach (var child in a) Materialize(child);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                _ = v.GetValue<string>();
                break;
        }
    }

    /// <summary>An error for <paramref name="field"/>.</summary>
    public ModelConfigException Error(string field, string problem) => new(filePath, field, problem, hint);

    /// <summary>Whether the object has the field with a non-null value.</summary>
    public static bool Has(JsonObject o, string name) => o.TryGetPropertyValue(name, out var v) && v is not null;

    /// <summary>A required positive integer.</summary>
    public int RequiredPositiveInt(JsonObject o, string name, string? prefix = null)
    {
        var v = OptionalInt(o, name, prefix) ?? throw Error(Path(prefix, name), "the field is missing (expected a positive integer).");
        if (v <= 0) throw Error(Path(prefix, name), $"expected a positive integer, found {v}.");
        return v;
    }

    /// <summary>An optional integer (null when absent or null).</summary>
    public int? OptionalInt(JsonObject o, string name, string? prefix = null)
    {
        var node = Value(o, name, prefix, "an integer");
        if (node is null) return null;
        if (node.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        if (node.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        throw Error(Path(prefix, name), $"expected an integer, found {node.ToJsonString()}.");
    }

    /// <summary>An optional number (null when absent or null).</summary>
    public double? OptionalDouble(JsonObject o, string name, string? prefix = null)
    {
        var node = Value(o, name, prefix, "a number");
        if (node is null) return null;
        if (node.TryGetValue<double>(out var d))
            return double.IsFinite(d) ? d : throw Error(Path(prefix, name), $"expected a finite number, found {node.ToJsonString()} (beyond the range of a double).");
        if (node.TryGetValue<long>(out var l)) return l;
        throw Error(Path(prefix, name), $"expected a number, found {node.ToJsonString()}.");
    }

    /// <summary>An optional boolean (null when absent or null).</summary>
    public bool? OptionalBool(JsonObject o, string name, string? prefix = null)
    {
        var node = Value(o, name, prefix, "true or false");
        if (node is null) return null;
        if (node.TryGetValue<bool>(out var b)) return b;
        throw Error(Path(prefix, name), $"expected true or false, found {node.ToJsonString()}.");
    }

    /// <summary>An optional string (null when absent or null).</summary>
    public string? OptionalString(JsonObject o, string name, string? prefix = null)
    {
        var node = Value(o, name, prefix, "a string");
        if (node is null) return null;
        if (node.TryGetValue<string>(out var s)) return s;
        throw Error(Path(prefix, name), $"expected a string, found {node.ToJsonString()}.");
    }

    /// <summary>An optional object (null when absent or null).</summary>
    public JsonObject? OptionalObject(JsonObject o, string name, string? prefix = null)
    {
        if (!o.TryGetPropertyValue(name, out var node) || node is null) return null;
        return node as JsonObject ?? throw Error(Path(prefix, name), $"expected an object, found {node.ToJsonString()}.");
    }

    /// <summary>An integer or a list of integers (eos_token_id's two shapes); empty when absent or null.</summary>
    public int[] IntOrIntList(JsonObject o, string name, string? prefix = null)
    {
        if (!o.TryGetPropertyValue(name, out var node) || node is null) return [];
        if (node is JsonArray array)
        {
            var result = new int[array.Count];
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonValue v || !v.TryGetValue<long>(out var l) || l is < int.MinValue or > int.MaxValue)
                    throw Error($"{Path(prefix, name)}[{i}]", $"expected an integer, found {array[i]?.ToJsonString() ?? "null"}.");
                result[i] = (int)l;
            }

            return result;
        }

        return [OptionalInt(o, name, prefix)!.Value];
    }

    /// <summary>The first element of a list of strings (the architectures field); null when absent.</summary>
    public string? FirstString(JsonObject o, string name)
    {
        if (!o.TryGetPropertyValue(name, out var node) || node is null) return null;
        if (node is JsonArray { Count: > 0 } a && a[0] is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw Error(name, $"expected a non-empty list of class names, found {node.ToJsonString()}.");
    }

    /// <summary>Token ids as transformers writes eos_token_id: null when none, a number when one, else a list.</summary>
    public static JsonNode? IntOrIntListNode(IReadOnlyList<int> ids) => ids.Count switch
    {
        0 => null,
        1 => JsonValue.Create(ids[0]),
        _ => new JsonArray(ids.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()),
    };

    /// <summary>Formats a number for messages.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private JsonValue? Value(JsonObject o, string name, string? prefix, string expected)
    {
        if (!o.TryGetPropertyValue(name, out var node) || node is null) return null;
        return node as JsonValue ?? throw Error(Path(prefix, name), $"expected {expected}, found {node.ToJsonString()}.");
    }

    private static string Path(string? prefix, string name) => prefix is null ? name : $"{prefix}.{name}";
}
