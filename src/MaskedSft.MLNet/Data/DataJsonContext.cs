// System.Text.Json source-generated serializers of the data area's JSON files (header, loader state).
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Data;

/// <summary>Serializers of dataset.json and loader states: camelCase names, indented output.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EpisodeDatasetHeader))]
[JsonSerializable(typeof(LoaderState))]
internal sealed partial class DataJsonContext : JsonSerializerContext
{
}
