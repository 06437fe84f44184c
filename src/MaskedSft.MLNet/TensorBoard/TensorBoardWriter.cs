// Writes one TensorBoard event file: the version header, then scalar / text / image events, each flushed as written.
using System.Globalization;

namespace MaskedSft.MLNet.TensorBoard;

/// <summary>
/// Writes a TensorBoard event file <c>events.out.tfevents.{unix seconds}.{host}.{pid}.{n}</c> in a folder: TFRecord
/// framing (<see cref="TfRecordWriter"/>) of tensorflow <c>Event</c> messages, starting with the <c>brain.Event:2</c>
/// header. Each event is flushed when written, so TensorBoard shows a run while it trains and a killed run keeps every
/// whole event. A run resumed from a checkpoint opens a new file with <c>resumedAfterStep</c>: its first event after the
/// header is a <c>SessionLog</c> START at the next step, which tells TensorBoard (and <see cref="TensorBoardReader"/>) to
/// drop the earlier files' events from that step on (the abandoned continuation), as metrics.jsonl is cut back.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    /// <summary>The file-version string of the header event.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>The prefix of event file names (what TensorBoard looks for).</summary>
    public const string FilePrefix = "events.out.tfevents.";

    private static int _sequence;
    private readonly TfRecordWriter _records;
    private readonly Func<double> _clock;

    /// <summary>Creates the folder if needed and a new event file in it.</summary>
    /// <param name="directory">The folder (e.g. a run's tensorboard/).</param>
    /// <param name="resumedAfterStep">When resuming: the checkpoint's step; a restart marker at the next step is written.</param>
    /// <param name="clock">Wall time in Unix seconds (tests pass a fixed one); null uses the system clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    public TensorBoardWriter(string directory, long? resumedAfterStep = null, Func<double>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        Directory.CreateDirectory(directory);
        var now = _clock();
        var host = string.Concat(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{FilePrefix}{(long)now:D10}.{(host.Length > 0 ? host : "host")}.{Environment.ProcessId}.{Interlocked.Increment(ref _sequence):D4}");
        Path = System.IO.Path.Combine(directory, name);
        _records = new TfRecordWriter(new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read));
        Write(new TensorBoardEvent(now, 0, [], FileVersion));
        if (resumedAfterStep is { } step) Write(new TensorBoardEvent(now, step + 1, [], IsSessionStart: true));
    }

    /// <summary>The event file being written.</summary>
    public string Path { get; }

    /// <summary>Writes one event holding <paramref name="values"/> at <paramref name="step"/>, and flushes it.</summary>
    /// <param name="step">The global step.</param>
    /// <param name="values">The summary values.</param>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    public void Write(long step, IReadOnlyList<TensorBoardValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) return;
        Write(new TensorBoardEvent(_clock(), step, values));
    }

    /// <summary>Writes a scalar.</summary>
    /// <param name="tag">The series name.</param>
    /// <param name="step">The global step.</param>
    /// <param name="value">The value (stored as a 32-bit float, as TensorBoard does).</param>
    public void AddScalar(string tag, long step, double value) => Write(step, [new TensorBoardValue(tag, Scalar: (float)value)]);

    /// <summary>Writes a text (rendered as Markdown by TensorBoard's text dashboard).</summary>
    /// <param name="tag">The series name.</param>
    /// <param name="step">The global step.</param>
    /// <param name="text">The text.</param>
    public void AddText(string tag, long step, string text) => Write(step, [new TensorBoardValue(tag, Text: text)]);

    /// <summary>Writes a PNG image.</summary>
    /// <param name="tag">The series name.</param>
    /// <param name="step">The global step.</param>
    /// <param name="png">The PNG file's bytes.</param>
    /// <exception cref="InvalidDataException"><paramref name="png"/> is not a PNG.</exception>
    public void AddImage(string tag, long step, byte[] png) => Write(step, [new TensorBoardValue(tag, Image: TensorBoardImage.FromPng(png))]);

    /// <inheritdoc />
    public void Dispose() => _records.Dispose();

    private void Write(TensorBoardEvent e)
    {
        _records.Write(EventCodec.Encode(e));
        _records.Flush();
    }
}
