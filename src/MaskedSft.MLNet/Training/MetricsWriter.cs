// Appends one JSON object per logged step to metrics.jsonl, flushed per line so a crash leaves only whole lines.
using System.Text;
using System.Text.Json;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Writes <c>metrics.jsonl</c>: one object per logged step with the fields <c>step</c>, <c>loss</c>, <c>grad_norm</c>,
/// <c>param_norm</c>, <c>token_acc</c>, <c>max_per_sample_loss</c>, <c>lr</c>, <c>tokens_per_s</c>,
/// <c>supervised_tokens</c> and, when evaluated, <c>val_loss</c>.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(512);

    /// <summary>Opens (or creates) a metrics file.</summary>
    /// <param name="path">Path of the metrics.jsonl file.</param>
    /// <param name="keepUpToStep">When resuming, lines of steps greater than this are dropped (they belong to the abandoned
    /// continuation); null truncates the file (a fresh run).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public MetricsWriter(string path, long? keepUpToStep = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var kept = new List<string>();
        if (keepUpToStep is { } limit && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (TryReadStep(line, out var step) && step <= limit) kept.Add(line);
            }
        }

        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        foreach (var line in kept)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            _stream.Write(bytes);
        }

        _stream.Flush();
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Appends one line and flushes it.</summary>
    /// <param name="metrics">The step's metrics.</param>
    /// <exception cref="ArgumentNullException"><paramref name="metrics"/> is null.</exception>
    public void Write(StepMetrics metrics)
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
            json.WriteEndObject();
        }

        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        _stream.Write(_buffer.WrittenSpan);
        _stream.Flush();
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
                    root.TryGetProperty("val_loss", out _) ? ReadDouble(root, "val_loss") : null));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a metrics line ({e.Message}). Hint: the file is written by the trainer; do not edit it by hand.", e);
            }
        }

        return list;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

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

    private static bool TryReadStep(string line, out long step)
    {
        step = 0;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out step)) return true;
        }
        catch (JsonException)
        {
            // A torn last line from a crash: dropped.
        }

        return false;
    }
}
