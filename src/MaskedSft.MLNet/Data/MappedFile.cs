// A read-only memory-mapped file exposing typed spans over its view; nothing is copied into managed memory.
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;

namespace MaskedSft.MLNet.Data;

/// <summary>A whole file mapped read-only; spans point straight into the mapping and are valid until disposal.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private byte* pointer;

    private MappedFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* pointer)
    {
        Path = path;
        Length = length;
        this.map = map;
        this.view = view;
        this.pointer = pointer;
    }

    /// <summary>The mapped file's path.</summary>
    public string Path { get; }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Maps a whole file read-only (an empty file is not mapped and has no bytes).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The mapping.</returns>
    public static MappedFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        var length = stream.Length;
        if (length == 0)
        {
            stream.Dispose();
            return new MappedFile(path, 0, null, null, null);
        }

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(path, length, map, view, p + view.PointerOffset);
        }
        catch
        {
            view?.Dispose();
            if (map is null)
            {
                stream.Dispose();
            }

            map?.Dispose();
            throw;
        }
    }

    /// <summary>A span of <paramref name="count"/> elements starting at element <paramref name="elementOffset"/>.</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="elementOffset">Offset in elements of <typeparamref name="T"/>.</param>
    /// <param name="count">Number of elements.</param>
    /// <returns>The span over the mapping.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<T> Span<T>(long elementOffset, int count)
        where T : unmanaged
    {
        if ((ulong)elementOffset > (ulong)(Length / sizeof(T)) || (ulong)count > (ulong)(Length / sizeof(T) - elementOffset))
        {
            ThrowOutOfRange(elementOffset, count, sizeof(T));
        }

        return new ReadOnlySpan<T>(pointer + (elementOffset * sizeof(T)), count);
    }

    /// <summary>A span of <paramref name="count"/> bytes at byte <paramref name="byteOffset"/>, reinterpreted as one element type.</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="byteOffset">Offset in bytes.</param>
    /// <param name="count">Number of elements.</param>
    /// <returns>The span over the mapping.</returns>
    public ReadOnlySpan<T> SpanAtByte<T>(long byteOffset, int count)
        where T : unmanaged
    {
        if (byteOffset < 0 || count < 0 || byteOffset + ((long)count * sizeof(T)) > Length)
        {
            ThrowOutOfRange(byteOffset, count, sizeof(T));
        }

        return new ReadOnlySpan<T>(pointer + byteOffset, count);
    }

    /// <summary>A reference to one element at a byte offset (no bounds check beyond a debug assertion).</summary>
    /// <typeparam name="T">An unmanaged element type.</typeparam>
    /// <param name="byteOffset">Offset in bytes.</param>
    /// <returns>A readonly reference into the mapping.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly T At<T>(long byteOffset)
        where T : unmanaged
    {
        System.Diagnostics.Debug.Assert(byteOffset >= 0 && byteOffset + sizeof(T) <= Length);
        return ref Unsafe.AsRef<T>(pointer + byteOffset);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (view is not null && pointer is not null)
        {
            pointer = null;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        view?.Dispose();
        map?.Dispose();
    }

    private void ThrowOutOfRange(long offset, int count, int elementSize) =>
        throw new ArgumentOutOfRangeException(
            nameof(offset),
            $"{Path}: range at offset {offset} of {count} elements of {elementSize} bytes is outside the file ({Length} bytes).");
}
