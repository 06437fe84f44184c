// fsync of a directory (POSIX), so a rename or a file creation in it is durable; a no-op where the OS has no such call.
using System.Runtime.InteropServices;

namespace MaskedSft.MLNet.Data;

/// <summary>Flushes a directory's entries to disk on Linux and macOS.</summary>
internal static partial class DirectorySync
{
    /// <summary>Opens the directory read-only and fsyncs it; failures are ignored (some filesystems refuse directory fsync).</summary>
    /// <param name="path">The directory.</param>
    public static void Flush(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }

        var fd = Open(path, 0);
        if (fd < 0)
        {
            return;
        }

        _ = Fsync(fd);
        _ = Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
