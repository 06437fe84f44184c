// Appends one JSON object per logged step to metrics.jsonl, flushed per line so a crash leaves only whole lines.
using System.Text.Json;
using MaskedSft.MLNet.IO;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Writes <c>metrics.jsonl</c>: one object per logged step with the fields <c>step</c>, <c>loss</c>, <c>grad_norm</c>,
/// <c>param_norm</c>, <c>token_acc</c>, <c>max_per_sample_loss</c>, <c>lr</c>, <c>tokens_per_s</c>,
/// <c>supervised_tokens</c>, when evaluated <c>val_loss</c>, and when hard examples are tracked a <c>hard_examples</c>
/// object (<c>buffer_size</c>, <c>threshold</c>, <c>top_loss</c>, <c>samples_seen</c>, <c>admitted</c>).
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly StepJsonLinesFile _file;
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(512);

    /// <summary>Opens (or creates) a metrics file.</summary>
    /// <param name="path">Path of the metrics.jsonl file.</param>
    /// <param name="keepUpToStep">When resuming, lines of steps greater than this are dropped (they belong to the abandoned
    /// continuation); null truncates the file (a fresh run).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public MetricsWriter(string path, long? keepUpToStep = null) => _file = new StepJsonLinesFile(path, keepUpToStep);

    /// <summary>The file being written.</summary>
    public string Path => _file.Path;

    /// <summary>Appends one line and flushes it.</summary>
    /// <param name="metrics">The step's metrics.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    public void Write(StepMetrics metrics) => Write(metrics, extra: null);

    /// <summary>Appends one step's metrics followed by more fields (e.g. the RL diagnostics) in the same JSON object.</summary>
    /// <param name="metrics">The step's metrics.</param>
    /// <param name="extra">Writes further properties into the open object; null = none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    public void Write(StepMetrics metrics, Action<Utf8JsonWriter>? extra)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", metrics.Step);
            WriteDouble(json, "loss", metrics.Loss);
            WriteDouble(json, "grad_norm", metrics.GradNorm);
            WriteDouble(json, "param_norm", metrics.ParamNorm);
            WriteDouble(json, "token_acc", metrics.TokenAccuracy);
            WriteDouble(json, "max_per_sample_loss", metrics.MaxPerSampleLoss);
            WriteDouble(json, "lr", metrics.LearningRate);
            WriteDouble(json, "tokens_per_s", metrics.TokensPerSecond);
            json.WriteNumber("supervised_tokens", metrics.SupervisedTokens);
            if (metrics.ValidationLoss is { } val) WriteDouble(json, "val_loss", val);
            if (metrics.HardExamples is { } hard)
            {
                json.WriteStartObject("hard_examples");
                json.WriteNumber("buffer_size", hard.BufferSize);
                WriteDouble(json, "threshold", hard.Threshold);
                WriteDouble(json, "top_loss", hard.TopLoss);
                json.WriteNumber("samples_seen", hard.SamplesSeen);
                json.WriteNumber("admitted", hard.Admitted);
                json.WriteEndObject();
            }

            extra?.Invoke(json);
            json.WriteEndObject();
        }

        _file.WriteLine(_buffer.WrittenSpan);
    }

    /// <summary>Reads every line of a metrics file back (for reports and tests).</summary>
    /// <param name="path">The metrics.jsonl file.</param>
    /// <returns>The records in file order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">A line is not a metrics object; the message names the file and line.</exception>
    public static IReadOnlyList<StepMetrics> ReadAll(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var list = new List<StepMetrics>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                HardExampleMetrics? hard = null;
                if (root.TryGetProperty("hard_examples", out var h))
                {
                    hard = new HardExampleMetrics(
                        h.GetProperty("buffer_size").GetInt32(),
                        ReadDouble(h, "threshold"),
                        ReadDouble(h, "top_loss"),
                        h.GetProperty("samples_seen").GetInt64(),
                        h.GetProperty("admitted").GetInt64());
                }

                list.Add(new StepMetrics(
                    root.GetProperty("step").GetInt64(),
                    ReadDouble(root, "loss"),
                    ReadDouble(root, "grad_norm"),
                    ReadDouble(root, "param_norm"),
                    ReadDouble(root, "token_acc"),
                    ReadDouble(root, "max_per_sample_loss"),
                    ReadDouble(root, "lr"),
                    ReadDouble(root, "tokens_per_s"),
                    root.GetProperty("supervised_tokens").GetInt64(),
                    root.TryGetProperty("val_loss", out _) ? ReadDouble(root, "val_loss") : null,
                    hard));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a metrics line ({e.Message}). Hint: the file is written by the trainer; do not edit it by hand.", e);
            }
        }

        return list;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static void WriteDouble(Utf8JsonWriter json, string name, double value)
    {
        // JSON has no NaN/Infinity: write them as strings so a diverging run still leaves a readable line.
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static double ReadDouble(JsonElement root, string name)
    {
        var e = root.GetProperty(name);
        return e.ValueKind == JsonValueKind.String
            ? double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : e.GetDouble();
    }
}
