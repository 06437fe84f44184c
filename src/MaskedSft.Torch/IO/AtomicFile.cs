// Atomic file replacement: write a temporary sibling, flush it to disk, rename it over the destination.

namespace MaskedSft.Torch.IO;

/// <summary>Writes files so that a reader sees either the previous file or the complete new one, never a partial write.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> with a stream over a temporary file beside <paramref name="path"/>, flushes it to disk
    /// and renames it over <paramref name="path"/>. Creates the parent directory if needed; removes the temporary file when
    /// <paramref name="write"/> or the file system fails, and rethrows.
    /// </summary>
    /// <param name="path">The destination file.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="bufferSize">The file stream's buffer size in bytes.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> or <paramref name="write"/> is null.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public static void Write(string path, Action<Stream> write, int bufferSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The original failure is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
            // Likewise.
        }
    }
}
