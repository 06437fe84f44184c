// The index of a sharded safetensors checkpoint (model.safetensors.index.json): which shard file holds each tensor.
using System.Text.Encodings.Web;
using System.Text.Json;

using MaskedSft.Torch.IO;

namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// The index of a sharded checkpoint as Hugging Face writes it (<c>model.safetensors.index.json</c>):
/// <c>{"metadata": {"total_size": N}, "weight_map": {"tensor name": "model-00001-of-00003.safetensors", ...}}</c>, where
/// total_size is the sum of the tensors' data bytes. Shard names are plain file names in the index's folder.
/// </summary>
public sealed class SafetensorsIndex
{
    /// <summary>The suffix of an index file after the single-file name: <c>model.safetensors</c> + <c>.index.json</c>.</summary>
    public const string Suffix = ".index.json";

    /// <summary>Creates an index.</summary>
    /// <param name="weightMap">Tensor name to shard file name, in the order to write.</param>
    /// <param name="totalSize">The sum of all tensors' data bytes, or null when unknown.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="weightMap"/> is null.</exception>
    public SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize)
    {
        ArgumentNullException.ThrowIfNull(weightMap);
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>Tensor name to the file name of the shard that holds it.</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary><c>metadata.total_size</c>: the sum of all tensors' data bytes (null when the index has none).</summary>
    public long? TotalSize { get; }

    /// <summary>The distinct shard file names, in order of first appearance in <see cref="WeightMap"/>.</summary>
    public IReadOnlyList<string> ShardFileNames => WeightMap.Values.Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Reads and checks an index file.</summary>
    /// <param name="path">The <c>*.safetensors.index.json</c> file.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When it is not JSON, has no <c>weight_map</c> object of strings, or names a
    /// shard outside its folder.</exception>
    public static SafetensorsIndex Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"safetensors index '{fullPath}' does not exist.", fullPath);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(fullPath));
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(fullPath, null, $"the index is not valid JSON ({ex.Message})",
                "re-download or re-save the checkpoint; an index is {\"metadata\": {...}, \"weight_map\": {name: shard file}}", ex);
        }

        using (document)
        {
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                {
                    throw new SafetensorsFormatException(fullPath, null, "the index has no \"weight_map\" object",
                        "an index is {\"metadata\": {\"total_size\": N}, \"weight_map\": {tensor name: shard file name}}");
                }

                var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var entry in map.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString() is not { Length: > 0 } file)
                    {
                        throw new SafetensorsFormatException(fullPath, entry.Name, $"the weight_map value is a JSON {entry.Value.ValueKind}, not a file name",
                            "each weight_map entry maps a tensor name to the file name of its shard");
                    }

                    if (Path.IsPathRooted(file) || file.Contains('/', StringComparison.Ordinal) || file.Contains('\\', StringComparison.Ordinal) || file == "..")
                    {
                        throw new SafetensorsFormatException(fullPath, entry.Name, $"the shard '{file}' is not a plain file name",
                            "shards must lie beside the index; re-save the checkpoint");
                    }

                    if (!weightMap.TryAdd(entry.Name, file))
                    {
                        throw new SafetensorsFormatException(fullPath, entry.Name, "the name appears twice in the weight_map",
                            "tensor names must be unique; re-save the checkpoint");
                    }
                }

                long? totalSize = null;
                if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object &&
                    metadata.TryGetProperty("total_size", out var total) && total.ValueKind == JsonValueKind.Number)
                {
                    // Some writers store a float here (e.g. 1234.0).
                    totalSize = total.TryGetInt64(out var integer) ? integer : (long)total.GetDouble();
                }

                return new SafetensorsIndex(weightMap, totalSize);
            }
            catch (InvalidOperationException ex)
            {
                // System.Text.Json parses an escaped unpaired surrogate ("\ud800") but refuses to read it as a string.
                throw new SafetensorsFormatException(fullPath, null, $"a name or string holds an unpaired surrogate escape (\\uD800-\\uDFFF) ({ex.Message})",
                    "re-download or re-save the checkpoint", ex);
            }
        }
    }

    /// <summary>
    /// Writes the index atomically as transformers does: 2-space indented JSON with sorted keys and a final newline,
    /// <c>metadata.total_size</c> when known.
    /// </summary>
    /// <param name="path">The destination file.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public void Write(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.Write(path, stream =>
        {
            var options = new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            using (var json = new Utf8JsonWriter(stream, options))
            {
                json.WriteStartObject();
                json.WriteStartObject("metadata");
                if (TotalSize is { } total)
                {
                    json.WriteNumber("total_size", total);
                }

                json.WriteEndObject();
                json.WriteStartObject("weight_map");
                foreach (var (name, file) in WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    json.WriteString(name, file);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            stream.Write("\n"u8);
        });
    }
}
