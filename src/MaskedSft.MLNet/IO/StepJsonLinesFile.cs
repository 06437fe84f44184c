// An append-only JSON Lines file of per-step records that, on resume, keeps only the lines up to the checkpoint's step.
using System.Text;
using System.Text.Json;

namespace MaskedSft.MLNet.IO;

/// <summary>
/// A JSON Lines file whose objects each carry a numeric <c>step</c> field (metrics.jsonl, hard_examples.jsonl). Each line is
/// flushed as it is written, so a crash leaves only whole lines (a torn last line is dropped on the next open). Opening with
/// <c>keepUpToStep</c> keeps the lines of steps up to that value and drops the rest: they belong to a continuation that a
/// resume from that step abandons.
/// </summary>
public sealed class StepJsonLinesFile : IDisposable
{
    private readonly FileStream _stream;

    /// <summary>Opens (or creates) the file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="keepUpToStep">When resuming, lines of steps greater than this (and lines without a step) are dropped;
    /// null truncates the file (a fresh run).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public StepJsonLinesFile(string path, long? keepUpToStep = null)
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
        foreach (var line in kept) _stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        _stream.Flush();
    }

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>Appends one line (the UTF-8 JSON object, without its newline) and flushes it.</summary>
    /// <param name="utf8Json">One JSON object with no line break inside.</param>
    public void WriteLine(ReadOnlySpan<byte> utf8Json)
    {
        _stream.Write(utf8Json);
        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    /// <summary>Reads the <c>step</c> field of a line.</summary>
    /// <param name="line">A line of the file.</param>
    /// <param name="step">The step, when the line is an object with an integer step.</param>
    /// <returns>Whether the line has a step (false for a torn or foreign line).</returns>
    public static bool TryReadStep(string line, out long step)
    {
        step = 0;
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out step)) return true;
        }
        catch (JsonException)
        {
            // A torn last line from a crash: dropped.
        }

        return false;
    }
}
