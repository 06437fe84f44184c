// Memory-mapped reader of a safetensors file: validates the whole header on open, then serves byte views of each tensor.
using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// A safetensors file opened for reading through a memory map. <see cref="Open"/> validates the header completely
/// (length, JSON, dtypes, shapes against offsets, offsets within the file, no overlap, contiguous coverage of the data
/// section) so that every later read is in bounds. Spans returned by <see cref="GetSpan(string)"/> point into the map and
/// are valid only until <see cref="Dispose"/>. Reads may run concurrently; disposal must not race with them. Tensors are read
/// with <see cref="ReadTensor"/> and <see cref="ReadInto"/>, which copy straight from the map into the tensor.
/// </summary>
public sealed unsafe partial class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private bool _disposed;

    private SafetensorsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer,
        long dataOffset, SafetensorsHeaderParser.Result header)
    {
        FilePath = path;
        Length = length;
        _map = map;
        _view = view;
        _base = basePointer;
        DataOffset = dataOffset;
        Tensors = header.Tensors.AsReadOnly();
        Metadata = header.Metadata.AsReadOnly();
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>Length of the file in bytes.</summary>
    public long Length { get; }

    /// <summary>Offset of the data section from the start of the file (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>The tensors, sorted by their offset in the data section.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <param name="path">The file to open.</param>
    /// <returns>The open file; dispose it to release the map.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When the file is truncated, corrupted or not a safetensors file.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"safetensors file '{fullPath}' does not exist.", fullPath);
        }

        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        MemoryMappedFile map;
        long length;
        try
        {
            length = stream.Length;
            if (length < SafetensorsFormat.PrefixLength)
            {
                throw new SafetensorsFormatException(fullPath, null,
                    $"the file has {length} bytes, fewer than the {SafetensorsFormat.PrefixLength}-byte header-length prefix",
                    "the file is empty or truncated; re-copy or re-save it");
            }

            map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        MemoryMappedViewAccessor? view = null;
        byte* pointer = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            pointer += view.PointerOffset;
            var header = ReadHeader(fullPath, new ReadOnlySpan<byte>(pointer, SafetensorsFormat.PrefixLength), pointer, length, out long dataOffset);
            return new SafetensorsFile(fullPath, length, map, view, pointer, dataOffset, header);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    private static SafetensorsHeaderParser.Result ReadHeader(string path, ReadOnlySpan<byte> prefix, byte* file, long length, out long dataOffset)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0)
        {
            throw new SafetensorsFormatException(path, null, "the header length is 0",
                "a safetensors file starts with the 8-byte little-endian length of a non-empty JSON header; the file is corrupted");
        }

        if (headerLength > SafetensorsFormat.MaxHeaderLength)
        {
            throw new SafetensorsFormatException(path, null,
                $"the header length {headerLength} exceeds the {SafetensorsFormat.MaxHeaderLength}-byte limit",
                "the first 8 bytes are corrupted or this is not a safetensors file (a PyTorch .bin/.pt checkpoint?)");
        }

        if ((long)headerLength > length - SafetensorsFormat.PrefixLength)
        {
            throw new SafetensorsFormatException(path, null,
                $"the header length {headerLength} runs past the end of the file ({length} bytes)",
                "the file is truncated or its first 8 bytes are corrupted; re-copy or re-save it");
        }

        dataOffset = SafetensorsFormat.PrefixLength + (long)headerLength;
        var headerBytes = new ReadOnlySpan<byte>(file + SafetensorsFormat.PrefixLength, (int)headerLength).ToArray();
        return SafetensorsHeaderParser.Parse(path, headerBytes, length - dataOffset);
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of tensor <paramref name="name"/>, or <see langword="null"/> if absent.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="info">The entry when found.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool TryGetInfo(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafetensorsTensorInfo? info) =>
        _byName.TryGetValue(name, out info);

    /// <summary>The entry of tensor <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    public SafetensorsTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out var info))
        {
            return info;
        }

        var some = string.Join(", ", Tensors.Take(8).Select(t => $"'{t.Name}'"));
        throw new KeyNotFoundException(
            $"safetensors file '{FilePath}' has no tensor '{name}'. It has {Tensors.Count} tensors{(Tensors.Count > 0 ? ", e.g. " + some : "")}.");
    }

    /// <summary>A read-only view of all bytes of tensor <paramref name="name"/>, valid until <see cref="Dispose"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The tensor's raw little-endian bytes.</returns>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    /// <exception cref="InvalidOperationException">When the tensor has 2 GiB or more (use <see cref="GetSpan(string, long, int)"/> in chunks).</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public ReadOnlySpan<byte> GetSpan(string name)
    {
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"safetensors file '{FilePath}', tensor '{name}': {info.ByteLength} bytes do not fit one span; read it in chunks with GetSpan(name, offset, length).");
        }

        return GetSpan(name, 0, (int)info.ByteLength);
    }

    /// <summary>A read-only view of <paramref name="length"/> bytes of tensor <paramref name="name"/> starting at byte <paramref name="offset"/> of the tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="offset">First byte, relative to the tensor's data.</param>
    /// <param name="length">Number of bytes.</param>
    /// <returns>The bytes, valid until <see cref="Dispose"/>.</returns>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the range is not inside the tensor.</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public ReadOnlySpan<byte> GetSpan(string name, long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = GetInfo(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > info.ByteLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length),
                $"bytes [{offset}, {offset + length}) are outside tensor '{name}' of {info.ByteLength} bytes in '{FilePath}'.");
        }

        return new ReadOnlySpan<byte>(_base + DataOffset + info.DataBegin + offset, length);
    }

    /// <summary>Copies all bytes of tensor <paramref name="name"/> into <paramref name="destination"/>, which must have exactly <see cref="SafetensorsTensorInfo.ByteLength"/> bytes.</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">Where to copy.</param>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    /// <exception cref="ArgumentException">When <paramref name="destination"/> has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public void CopyTo(string name, Span<byte> destination)
    {
        var info = GetInfo(name);
        if (destination.Length != info.ByteLength)
        {
            throw new ArgumentException(
                $"destination has {destination.Length} bytes but tensor '{name}' of '{FilePath}' has {info.ByteLength}.", nameof(destination));
        }

        GetSpan(name, 0, destination.Length).CopyTo(destination);
    }

    /// <summary>A new array with the bytes of tensor <paramref name="name"/>.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The copy.</returns>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    /// <exception cref="InvalidOperationException">When the tensor has 2 GiB or more.</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public byte[] ReadBytes(string name) => GetSpan(name).ToArray();

    /// <summary>Releases the memory map; spans obtained earlier become invalid.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
