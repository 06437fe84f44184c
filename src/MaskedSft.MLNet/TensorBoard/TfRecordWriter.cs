// Appends TFRecord-framed records (length, masked CRC of the length, data, masked CRC of the data) to a stream.
using System.Buffers.Binary;

namespace MaskedSft.MLNet.TensorBoard;

/// <summary>
/// Writes TFRecord framing: for each record a little-endian uint64 length, the masked CRC-32C of those 8 bytes, the data,
/// and the masked CRC-32C of the data (<see cref="Crc32C.Masked"/>). Each record is written whole with one call, so a
/// reader meets at most one torn record at the end of a file that was being written when the process died.
/// </summary>
public sealed class TfRecordWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer = new byte[256];

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">A writable stream (the writer appends at its position).</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves the stream open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    public TfRecordWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("the stream is not writable.", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Appends one record.</summary>
    /// <param name="data">The record's bytes.</param>
    public void Write(ReadOnlySpan<byte> data)
    {
        var total = 16 + data.Length;
        if (_buffer.Length < total) _buffer = new byte[Math.Max(total, _buffer.Length * 2)];
        var span = _buffer.AsSpan(0, total);
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Crc32C.Masked(span[..8]));
        data.CopyTo(span[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(12 + data.Length)..], Crc32C.Masked(data));
        _stream.Write(span);
    }

    /// <summary>Flushes the stream.</summary>
    public void Flush() => _stream.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
