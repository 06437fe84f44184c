// JSON-structure-aware mutations: wrong types, huge and negative numbers, missing fields, deep nesting, long strings.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MaskedSft.Tools.Fuzz;

/// <summary>Mutates a JSON document through its tree, so the result is (mostly) valid JSON with a hostile value inside.</summary>
public static class JsonMutator
{
    private const string RawMarker = "\u0001fuzz-raw\u0001";

    private static readonly string[] HugeNumbers =
    [
        "1e308", "-1e308", "1e400", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483648", "-2147483649", "4294967296", "0", "-0", "0.5", "1e-320", "123456789012345678901234567890",
    ];

    private static readonly string[] Scalars = ["null", "true", "false", "\"\"", "\"x\"", "0", "-1", "1.5", "[]", "{}", "[1, 2]", "{\"a\": 1}", "\"\\u0000\"", "\"\\ud800\""];

    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Applies one structure-aware mutation, or returns null when the text is not JSON.</summary>
    /// <param name="json">UTF-8 JSON.</param>
    /// <param name="random">The source of choices.</param>
    /// <param name="name">Set to the mutation's description.</param>
    /// <returns>The mutated UTF-8 JSON, or null.</returns>
    public static byte[]? Mutate(byte[] json, Random random, out string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(random);
        name = "json: not JSON";
        try
        {
            return MutateTree(json, random, ref name);
        }
        catch (InvalidOperationException)
        {
            return null; // a property name or string that is not valid UTF-8 (an earlier byte mutation): not JSON to the tree
        }
        catch (ArgumentException)
        {
            return null; // a property name twice in one object (an earlier mutation): JsonObject refuses it, the readers do not
        }
    }

    private static byte[]? MutateTree(byte[] json, Random random, ref string name)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: Lenient);
        }
        catch (JsonException)
        {
            return null;
        }

        if (root is null) return null;
        var nodes = new List<(JsonNode Node, string Path)>();
        Collect(root, "$", nodes);
        var (node, path) = nodes[random.Next(nodes.Count)];
        string raw;
        switch (random.Next(9))
        {
            case 0:
                raw = Scalars[random.Next(Scalars.Length)];
                name = $"json: {path} = {raw}";
                break;
            case 1:
            case 2:
                raw = HugeNumbers[random.Next(HugeNumbers.Length)];
                if (node.GetValueKind() != JsonValueKind.Number && random.Next(2) == 0)
                {
                    var numbers = nodes.Where(n => n.Node.GetValueKind() == JsonValueKind.Number).ToList();
                    if (numbers.Count > 0) (node, path) = numbers[random.Next(numbers.Count)];
                }

                name = $"json: {path} = {raw}";
                break;
            case 3:
            {
                var numbers = nodes.Where(n => n.Node.GetValueKind() == JsonValueKind.Number).ToList();
                if (numbers.Count > 0) (node, path) = numbers[random.Next(numbers.Count)];
                raw = node.GetValueKind() == JsonValueKind.Number ? "-" + node.ToJsonString().TrimStart('-') : "-1";
                if (raw == "-0") raw = "-1";
                name = $"json: {path} negated = {raw}";
                break;
            }

            case 4:
            case 5:
                if (node.Parent is null)
                {
                    raw = "{}";
                    name = "json: $ = {}";
                    break;
                }

                Remove(node);
                name = $"json: remove {path}";
                return Encoding.UTF8.GetBytes(root.ToJsonString());
            case 6:
            {
                int depth = random.Next(3) switch { 0 => 70, 1 => 1_000, _ => 100_000 };
                bool arrays = random.Next(2) == 0;
                var deep = new StringBuilder(depth * 8);
                for (int i = 0; i < depth; i++) deep.Append(arrays ? "[" : "{\"a\":");
                deep.Append('1');
                for (int i = 0; i < depth; i++) deep.Append(arrays ? ']' : '}');
                raw = deep.ToString();
                name = $"json: {path} = {(arrays ? "array" : "object")} nesting {depth} deep";
                break;
            }

            case 7:
                raw = JsonSerializer.Serialize(new string((char)('a' + random.Next(26)), random.Next(2) == 0 ? 70_000 : 1_000_000));
                name = $"json: {path} = string of {raw.Length - 2} chars";
                break;
            default:
            {
                // Duplicate a sibling into the container (a repeated array element or a copied field under a new name).
                if (node.Parent is JsonArray array)
                {
                    array.Add(node.DeepClone());
                    name = $"json: repeat {path}";
                    return Encoding.UTF8.GetBytes(root.ToJsonString());
                }

                raw = random.Next(2) == 0 ? "[]" : "{}";
                name = $"json: {path} = {raw}";
                break;
            }
        }

        if (node.Parent is null) return Encoding.UTF8.GetBytes(raw);
        Replace(node, JsonValue.Create(RawMarker));
        string text = root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        string marker = JsonSerializer.Serialize(RawMarker, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        int at = text.IndexOf(marker, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(string.Concat(text.AsSpan(0, at), raw, text.AsSpan(at + marker.Length)));
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode, string)> nodes)
    {
        nodes.Add((node, path));
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o)
                {
                    if (child is not null) Collect(child, $"{path}.{key}", nodes);
                }

                break;
            case JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } child) Collect(child, $"{path}[{i}]", nodes);
                }

                break;
        }
    }

    private static void Remove(JsonNode node)
    {
        switch (node.Parent)
        {
            case JsonObject o:
                o.Remove(node.GetPropertyName());
                break;
            case JsonArray a:
                a.RemoveAt(node.GetElementIndex());
                break;
        }
    }

    private static void Replace(JsonNode node, JsonNode replacement)
    {
        switch (node.Parent)
        {
            case JsonObject o:
                o[node.GetPropertyName()] = replacement;
                break;
            case JsonArray a:
                a[node.GetElementIndex()] = replacement;
                break;
        }
    }
}
