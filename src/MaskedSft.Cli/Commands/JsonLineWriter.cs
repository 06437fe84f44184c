// Writes one compact JSON object per line to a TextWriter (the output of the stdin/stdout commands).
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MaskedSft.Cli.Commands;

/// <summary>Builds each output line with a <see cref="Utf8JsonWriter"/> and writes it with a newline.</summary>
internal static class JsonLineWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the object <paramref name="write"/> produces as one line.</summary>
    /// <param name="output">The destination.</param>
    /// <param name="write">Writes the properties of the object.</param>
    public static void WriteLine(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
