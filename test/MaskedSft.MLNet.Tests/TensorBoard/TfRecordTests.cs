// TFRecord framing: the byte layout, the round trip, a torn last record, and corruption reported with file and offset.
using System.Buffers.Binary;
using MaskedSft.MLNet.TensorBoard;

namespace MaskedSft.MLNet.Tests.TensorBoard;

[TestClass]
public sealed class TfRecordTests
{
    [TestMethod]
    public void Write_LaysOutLengthCrcDataCrc()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TfRecordWriter(buffer, leaveOpen: true)) writer.Write("abc"u8);
        var bytes = buffer.ToArray();
        Assert.HasCount(8 + 4 + 3 + 4, bytes);
        Assert.AreEqual(3ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.AreEqual(Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(0, 8))), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        CollectionAssert.AreEqual("abc"u8.ToArray(), bytes[12..15]);
        Assert.AreEqual(Crc32C.Mask(Crc32C.Compute("abc"u8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(15)));
    }

    [TestMethod]
    public void ReadAll_ReturnsTheRecords_AndStopsQuietlyAtATornTail()
    {
        var path = Path.GetTempFileName();
        try
        {
            var records = new[] { Array.Empty<byte>(), "x"u8.ToArray(), Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray() };
            using (var writer = new TfRecordWriter(File.Create(path)))
            {
                foreach (var r in records) writer.Write(r);
            }

            var read = TfRecordReader.ReadAll(path).ToList();
            Assert.HasCount(3, read);
            for (var i = 0; i < 3; i++) CollectionAssert.AreEqual(records[i], read[i]);

            var full = File.ReadAllBytes(path);
            File.WriteAllBytes(path, full[..^5]); // a writer killed inside the last record
            Assert.HasCount(2, TfRecordReader.ReadAll(path).ToList());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void ReadAll_CorruptData_NamesFileAndOffset()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var writer = new TfRecordWriter(File.Create(path)))
            {
                writer.Write("first"u8);
                writer.Write("second"u8);
            }

            var bytes = File.ReadAllBytes(path);
            bytes[21 + 12] ^= 0x01; // a byte of the second record's data (the first record takes 16 + 5 bytes)
            File.WriteAllBytes(path, bytes);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TfRecordReader.ReadAll(path).ToList());
            StringAssert.Contains(e.Message, path);
            StringAssert.Contains(e.Message, "offset 21");

            bytes = File.ReadAllBytes(path);
            bytes[0] ^= 0x01; // the first length
            File.WriteAllBytes(path, bytes);
            e = Assert.ThrowsExactly<InvalidDataException>(() => TfRecordReader.ReadAll(path).ToList());
            StringAssert.Contains(e.Message, "offset 0");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
