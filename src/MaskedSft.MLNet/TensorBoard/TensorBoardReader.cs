// Reads TensorBoard event files back: one file's events, or a folder's files in order with resumed runs' orphans dropped.
namespace MaskedSft.MLNet.TensorBoard;

/// <summary>Reads event files written by <see cref="TensorBoardWriter"/> (or any TensorBoard writer, for the fields we
/// know).</summary>
public static class TensorBoardReader
{
    /// <summary>Every event of one file, in order.</summary>
    /// <param name="path">An events.out.tfevents.* file.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">A record is corrupt or not an Event; the message names the file.</exception>
    public static IReadOnlyList<TensorBoardEvent> ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var events = new List<TensorBoardEvent>();
        var index = 0;
        foreach (var record in TfRecordReader.ReadAll(path)) events.Add(EventCodec.Decode(record, $"{path}: record {index++}"));
        return events;
    }

    /// <summary>The events of every event file in a folder, files in the order of their header's wall time (then name), as TensorBoard shows them: a <c>SessionLog</c> START at step s drops the events read before it whose step is
    /// s or later (a resumed run's abandoned steps). Header and START events are left out.</summary>
    /// <param name="directory">The folder (e.g. a run's tensorboard/).</param>
    /// <returns>The events with values.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt.</exception>
    public static IReadOnlyList<TensorBoardEvent> ReadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such folder (TensorBoard event files are written to a run's tensorboard/).");
        var events = new List<TensorBoardEvent>();
        var files = Files(directory).Select(ReadFile).OrderBy(f => f.Count > 0 ? f[0].WallTime : 0).ToList(); // stable: name order within one time
        foreach (var file in files)
        {
            foreach (var e in file)
            {
                if (e.IsSessionStart) events.RemoveAll(old => old.Step >= e.Step);
                else if (e.Values.Count > 0) events.Add(e);
            }
        }

        return events;
    }

    /// <summary>The event files in a folder, in name order.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>Their paths.</returns>
    public static IReadOnlyList<string> Files(string directory) => Directory.EnumerateFiles(directory, TensorBoardWriter.FilePrefix + "*")
        .Order(StringComparer.Ordinal).ToList();
}
