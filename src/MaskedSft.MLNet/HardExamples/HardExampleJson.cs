// JSON form of hard-example payloads and tracker states: snake_case names, thumbnails as base64, NaN allowed.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>Serializes <see cref="HardExamplePayload"/> and <see cref="HardExampleTrackerState"/> (snake_case, as Python tools expect).</summary>
public static class HardExampleJson
{
    /// <summary>The serializer options: snake_case property names, named floating-point literals (NaN) allowed, texts written
    /// with minimal escaping (&lt; and non-ASCII letters stay as they are; quotes and control characters are escaped).</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // texts stay readable in files (not for HTML)
    };

    /// <summary>The JSON text of <paramref name="payload"/>.</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>JSON.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="payload"/> is null.</exception>
    public static string Serialize(HardExamplePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return JsonSerializer.Serialize(payload, Options);
    }

    /// <summary>Parses a payload written by <see cref="Serialize"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="json"/> is null.</exception>
    /// <exception cref="JsonException">When the text is not a payload.</exception>
    public static HardExamplePayload DeserializePayload(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<HardExamplePayload>(json, Options) ?? throw new JsonException("the JSON text is null, not a hard-example payload.");
    }
}
