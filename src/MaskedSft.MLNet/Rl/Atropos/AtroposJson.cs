// The JSON settings of the Atropos wire format (snake_case names on the records, NaN tolerated, nulls written).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>The serializer options used for every Atropos body, by the client and by the local server.</summary>
public static class AtroposJson
{
    /// <summary>Property names come from the records' <c>JsonPropertyName</c> attributes; NaN and infinities are accepted
    /// as the Python server's json module writes them; nulls are written like pydantic does.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // ' and non-ASCII text as is, like Python's json
    };
}
