// A run's checkpoints directory: atomic creation of step-NNNNNNNN folders (temp folder, then rename), listing and pruning.
using System.Globalization;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Manages <c>RUN/checkpoints/</c>. Each checkpoint is a folder <c>step-NNNNNNNN</c> that is first written completely under
/// a hidden temporary name (<c>.tmp-step-NNNNNNNN-PID</c>) and then renamed, so a crash while saving never leaves a folder
/// that looks like a checkpoint. Only the last <see cref="KeepLast"/> checkpoints are kept; an old one is renamed to a
/// hidden temporary before it is deleted, so a crash while pruning never leaves a half-deleted folder that looks like one.
/// </summary>
public sealed class CheckpointStore
{
    private const string Prefix = "step-";
    private const string TempPrefix = ".tmp-";

    /// <summary>
    /// Debug only: milliseconds to wait between writing a checkpoint's files and renaming its folder, read once from the
    /// environment variable <c>MASKEDSFT_DEBUG_CHECKPOINT_DELAY_MS</c> (default 0). The kill trials of
    /// scripts/reliability/kill-trials.sh set it to widen the window in which a kill leaves a half-written checkpoint.
    /// </summary>
    private static readonly int DebugWriteDelayMs =
        int.TryParse(Environment.GetEnvironmentVariable("MASKEDSFT_DEBUG_CHECKPOINT_DELAY_MS"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms : 0;

    /// <summary>Opens (and creates) a checkpoints directory.</summary>
    /// <param name="root">The checkpoints directory.</param>
    /// <param name="keepLast">How many checkpoints to keep (older ones are deleted after a save); at least 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepLast"/> is less than 1.</exception>
    public CheckpointStore(string root, int keepLast = 3)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        Root = Path.GetFullPath(root);
        KeepLast = keepLast;
        Directory.CreateDirectory(Root);
    }

    /// <summary>The checkpoints directory.</summary>
    public string Root { get; }

    /// <summary>How many checkpoints a save keeps.</summary>
    public int KeepLast { get; }

    /// <summary>The folder name of a step's checkpoint.</summary>
    /// <param name="step">The global optimizer step.</param>
    /// <returns><c>step-NNNNNNNN</c>.</returns>
    public static string FolderName(long step) => Prefix + step.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes a checkpoint atomically: <paramref name="writeContents"/> fills an empty temporary folder, which is then renamed
    /// to <c>step-NNNNNNNN</c> (replacing an older checkpoint of the same step), and old checkpoints are pruned.
    /// </summary>
    /// <param name="step">The global optimizer step the checkpoint holds.</param>
    /// <param name="writeContents">Writes every file of the checkpoint into the folder it is given.</param>
    /// <returns>The final folder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="writeContents"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public string Save(long step, Action<string> writeContents)
    {
        ArgumentNullException.ThrowIfNull(writeContents);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        RemoveStaleTemporaries();
        var name = FolderName(step);
        var temp = Path.Combine(Root, $"{TempPrefix}{name}-{Environment.ProcessId}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            writeContents(temp);
            if (DebugWriteDelayMs > 0) Thread.Sleep(DebugWriteDelayMs);
            FlushFolder(temp);
            var final = Path.Combine(Root, name);
            if (Directory.Exists(final))
            {
                var old = Path.Combine(Root, $"{TempPrefix}old-{name}-{Environment.ProcessId}");
                Directory.Move(final, old);
                Directory.Move(temp, final);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, final);
            }

            Prune();
            return final;
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>The complete checkpoints, oldest first.</summary>
    /// <returns>(step, folder) pairs sorted by step.</returns>
    public IReadOnlyList<(long Step, string Path)> List() => ListIn(Root);

    /// <summary>The complete checkpoints of a directory, oldest first (folders named step-NNNNNNNN).</summary>
    /// <param name="root">A checkpoints directory.</param>
    /// <returns>(step, folder) pairs sorted by step; empty when the directory does not exist.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is null.</exception>
    public static IReadOnlyList<(long Step, string Path)> ListIn(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root)) return [];
        var list = new List<(long, string)>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            var name = Path.GetFileName(dir);
            if (name.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            {
                list.Add((step, dir));
            }
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>The newest checkpoint folder, or null when there is none.</summary>
    /// <returns>The folder path or null.</returns>
    public string? Latest() => List() is { Count: > 0 } l ? l[^1].Path : null;

    private void Prune()
    {
        var all = List();
        for (var i = 0; i < all.Count - KeepLast; i++)
        {
            // Rename first: a recursive delete removes files one by one, and a kill in the middle would leave a
            // step-NNNNNNNN folder with some files gone that still looks like a checkpoint. A hidden temporary is
            // never listed, and the next save removes it if this process dies before the delete ends.
            var doomed = Path.Combine(Root, $"{TempPrefix}pruned-{Path.GetFileName(all[i].Path)}-{Environment.ProcessId}");
            Directory.Move(all[i].Path, doomed);
            Directory.Delete(doomed, recursive: true);
        }
    }

    private void RemoveStaleTemporaries()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root, TempPrefix + "*"))
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Another process may still be writing it; it will be removed on a later save.
            }
        }
    }

    private static void FlushFolder(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            stream.Flush(flushToDisk: true);
        }
    }
}
