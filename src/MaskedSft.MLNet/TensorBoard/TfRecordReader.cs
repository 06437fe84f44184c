// Reads TFRecord-framed records back, checking both masked CRCs; a torn last record ends the file quietly.
using System.Buffers.Binary;

namespace MaskedSft.MLNet.TensorBoard;

/// <summary>Reads the records of a TFRecord file (see <see cref="TfRecordWriter"/>), checking the length and data CRCs.</summary>
public static class TfRecordReader
{
    /// <summary>The most bytes one record may claim (a corrupt length is reported instead of allocated).</summary>
    public const long MaxRecordLength = 1L << 30;

    /// <summary>Reads every whole record of a file. A record cut short at the end of the file (a writer still running or
    /// killed mid-write) ends the enumeration without error, as TensorBoard does.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The records' data, in file order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">A length or data CRC does not match, or a length is implausible; the message
    /// names the file and the record's byte offset.</exception>
    public static IEnumerable<byte[]> ReadAll(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(path);
    }

    private static IEnumerable<byte[]> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[12];
        var footer = new byte[4];
        long offset = 0;
        while (true)
        {
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) yield break;
            var length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)) != Crc32C.Masked(header.AsSpan(0, 8)))
                throw new InvalidDataException($"{path}: offset {offset}: the record length's CRC does not match (a corrupt or non-TFRecord file).");
            if (length > MaxRecordLength)
                throw new InvalidDataException($"{path}: offset {offset}: record length {length} exceeds {MaxRecordLength} bytes.");
            var data = new byte[length];
            if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length) yield break;
            if (stream.ReadAtLeast(footer, footer.Length, throwOnEndOfStream: false) < footer.Length) yield break;
            if (BinaryPrimitives.ReadUInt32LittleEndian(footer) != Crc32C.Masked(data))
                throw new InvalidDataException($"{path}: offset {offset}: the record data's CRC does not match (the file is corrupt).");
            offset += 16 + (long)length;
            yield return data;
        }
    }
}
