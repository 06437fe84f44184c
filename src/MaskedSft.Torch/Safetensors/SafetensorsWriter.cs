// Writes named raw tensors and string metadata to a safetensors file, atomically (temporary file, then rename).
using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

using MaskedSft.Torch.IO;


namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Collects named tensors (dtype, shape and raw little-endian bytes) and metadata, then writes them as one safetensors file.
/// Data is laid out like the reference writer does: by element size, largest first, then by name (ordinal), so each
/// tensor starts at a multiple of its element size; the header is padded with spaces to a multiple of 8 bytes.
/// Tensors added from a stream or a callback are read when <see cref="Save"/> or <see cref="WriteTo"/> runs; the writer
/// keeps no other reference to them.
/// </summary>
public sealed class SafetensorsWriter
{
    /// <summary>Writes exactly the tensor's bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">A write-only stream that accepts exactly the tensor's byte length.</param>
    public delegate void DataWriter(Stream destination);

    private readonly List<Entry> _entries = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Number of tensors added.</summary>
    public int Count => _entries.Count;

    /// <summary>The metadata written to <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Adds a tensor, copying <paramref name="data"/>.</summary>
    /// <param name="name">Unique, non-empty tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each &gt;= 0); empty for a scalar.</param>
    /// <param name="data">Raw little-endian bytes, row-major; length = product(shape) × element size.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken, or the data length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is negative or the dtype undefined.</exception>
    public SafetensorsWriter Add(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        long bytes = Validate(name, dtype, shape);
        CheckLength(name, bytes, data.Length);
        return AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, data.ToArray(), null, null));
    }

    /// <summary>Adds a tensor without copying: <paramref name="data"/> must stay unchanged until the file is written.</summary>
    /// <param name="name">Unique, non-empty tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each &gt;= 0); empty for a scalar.</param>
    /// <param name="data">Raw little-endian bytes, row-major; length = product(shape) × element size.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken, or the data length does not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is negative or the dtype undefined.</exception>
    public SafetensorsWriter AddWithoutCopy(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        long bytes = Validate(name, dtype, shape);
        CheckLength(name, bytes, data.Length);
        return AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, data, null, null));
    }

    /// <summary>Adds a tensor whose bytes are read from <paramref name="source"/>'s current position when the file is written.</summary>
    /// <param name="name">Unique, non-empty tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each &gt;= 0); empty for a scalar.</param>
    /// <param name="source">A readable stream with at least product(shape) × element size bytes left; the caller disposes it after writing.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> or <paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken, or the stream is not readable.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is negative or the dtype undefined.</exception>
    public SafetensorsWriter AddFromStream(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead)
        {
            throw new ArgumentException($"the source stream of tensor '{name}' is not readable.", nameof(source));
        }

        long bytes = Validate(name, dtype, shape);
        return AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, default, source, null));
    }

    /// <summary>Adds a tensor whose bytes <paramref name="writer"/> produces when the file is written; it must write exactly product(shape) × element size bytes.</summary>
    /// <param name="name">Unique, non-empty tensor name (not <c>__metadata__</c>).</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (each &gt;= 0); empty for a scalar.</param>
    /// <param name="writer">Callback that writes the bytes.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> or <paramref name="writer"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is negative or the dtype undefined.</exception>
    public SafetensorsWriter AddFromCallback(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, DataWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        long bytes = Validate(name, dtype, shape);
        return AddEntry(new Entry(name, dtype, shape.ToArray(), bytes, default, null, writer));
    }

    /// <summary>
    /// Adds <paramref name="tensor"/> under its own element type (<see cref="SafetensorsDTypeInfo.ToSafetensors"/>); its bytes
    /// are copied when the file is written, a bounded chunk at a time (from any device, in row-major order of its shape).
    /// </summary>
    /// <param name="name">Unique, non-empty tensor name (not <c>__metadata__</c>).</param>
    /// <param name="tensor">The tensor; it must stay alive and unchanged until the file is written.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> or <paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentException">When the name is empty, reserved or taken.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the tensor's element type has no safetensors dtype.</exception>
    public SafetensorsWriter AddTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return AddFromCallback(name, tensor.DType.ToSafetensors(), tensor.Shape, destination => TensorByteStream.Write(tensor, destination));
    }

    /// <summary>Sets a metadata entry (written under <c>__metadata__</c>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This writer.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="key"/> or <paramref name="value"/> is null.</exception>
    public SafetensorsWriter SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>
    /// Writes the file to a temporary file beside <paramref name="path"/>, flushes it to disk and renames it over
    /// <paramref name="path"/>, so a reader never sees a partial file. Creates the parent directory if needed.
    /// </summary>
    /// <param name="path">The destination file.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="SafetensorsFormatException">When a stream or callback supplies the wrong number of bytes, or the header exceeds the size limit.</exception>
    /// <exception cref="IOException">When the file system fails; the temporary file is removed.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = Path.GetFullPath(path);
        AtomicFile.Write(fullPath, stream => WriteCore(stream, fullPath), bufferSize: 1 << 20);
    }

    /// <summary>Writes the file's bytes to <paramref name="destination"/> (no atomicity; see <see cref="Save"/>).</summary>
    /// <param name="destination">A writable stream.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="destination"/> is null.</exception>
    /// <exception cref="SafetensorsFormatException">When a stream or callback supplies the wrong number of bytes, or the header exceeds the size limit.</exception>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WriteCore(destination, "<stream>");
    }

    private void WriteCore(Stream destination, string pathForErrors)
    {
        var ordered = _entries
            .OrderByDescending(e => e.DType.ElementSize())
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var header = BuildHeader(ordered, pathForErrors);
        Span<byte> prefix = stackalloc byte[SafetensorsFormat.PrefixLength];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        destination.Write(prefix);
        destination.Write(header);
        foreach (var entry in ordered)
        {
            if (entry.Source is not null)
            {
                CopyExactly(entry, entry.Source, destination, pathForErrors);
            }
            else if (entry.Callback is not null)
            {
                var bounded = new BoundedWriteStream(destination, entry.ByteLength, entry.Name, pathForErrors);
                entry.Callback(bounded);
                if (bounded.Written != entry.ByteLength)
                {
                    throw new SafetensorsFormatException(pathForErrors, entry.Name,
                        $"the data callback wrote {bounded.Written} bytes but dtype {entry.DType.HeaderCode()} with shape [{string.Join(", ", entry.Shape)}] needs {entry.ByteLength}",
                        "write product(shape) × element size bytes in the callback");
                }
            }
            else
            {
                destination.Write(entry.Memory.Span);
            }
        }
    }

    private byte[] BuildHeader(List<Entry> ordered, string pathForErrors)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsFormat.MetadataKey);
                foreach (var (key, value) in _metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var entry in ordered)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.HeaderCode());
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += entry.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + SafetensorsFormat.Alignment - 1) / SafetensorsFormat.Alignment * SafetensorsFormat.Alignment;
        if (padded > SafetensorsFormat.MaxHeaderLength)
        {
            throw new SafetensorsFormatException(pathForErrors, null,
                $"the header would have {padded} bytes, over the {SafetensorsFormat.MaxHeaderLength}-byte limit",
                "store fewer tensors or less metadata per file (shard the checkpoint)");
        }

        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void CopyExactly(Entry entry, Stream source, Stream destination, string pathForErrors)
    {
        var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(entry.ByteLength, 1 << 20) + 1);
        try
        {
            long left = entry.ByteLength;
            while (left > 0)
            {
                int read = source.Read(scratch, 0, (int)Math.Min(left, scratch.Length));
                if (read == 0)
                {
                    throw new SafetensorsFormatException(pathForErrors, entry.Name,
                        $"the source stream ended after {entry.ByteLength - left} of {entry.ByteLength} bytes",
                        "the stream must hold product(shape) × element size bytes from its current position");
                }

                destination.Write(scratch, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private long Validate(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException("a tensor name must not be empty.", nameof(name));
        }

        if (name == SafetensorsFormat.MetadataKey)
        {
            throw new ArgumentException($"'{SafetensorsFormat.MetadataKey}' is reserved for metadata; use SetMetadata.", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"a tensor named '{name}' was already added; names must be unique.", nameof(name));
        }

        long bytes = dtype.ElementSize();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), shape[i], $"dimension {i} of tensor '{name}' is negative.");
            }

            bytes = checked(bytes * shape[i]);
        }

        return bytes;
    }

    private static void CheckLength(string name, long expected, int actual)
    {
        if (expected != actual)
        {
            throw new ArgumentException(
                $"tensor '{name}' has {actual} bytes of data but its dtype and shape need {expected}.", "data");
        }
    }

    private SafetensorsWriter AddEntry(Entry entry)
    {
        _names.Add(entry.Name);
        _entries.Add(entry);
        return this;
    }

    private sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, long ByteLength, ReadOnlyMemory<byte> Memory,
        Stream? Source, DataWriter? Callback);
}
