// One TensorBoard event record: when, which step, and its summary values (or the file header, or a restart marker).
namespace MaskedSft.MLNet.TensorBoard;

/// <summary>An event of a TensorBoard event file (tensorflow's <c>Event</c> message, the fields we write).</summary>
/// <param name="WallTime">Seconds since the Unix epoch.</param>
/// <param name="Step">The global step.</param>
/// <param name="Values">The summary values (empty for the file-version header and restart markers).</param>
/// <param name="FileVersion">The file-version header (<c>brain.Event:2</c>) of a file's first event; otherwise null.</param>
/// <param name="IsSessionStart">A <c>SessionLog</c> START marker: readers drop the events of every step at or after this
/// event's step that came before it (a resumed run's abandoned continuation).</param>
public sealed record TensorBoardEvent(
    double WallTime,
    long Step,
    IReadOnlyList<TensorBoardValue> Values,
    string? FileVersion = null,
    bool IsSessionStart = false);
