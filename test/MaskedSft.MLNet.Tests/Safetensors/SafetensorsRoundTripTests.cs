// Round trips through SafetensorsWriter and SafetensorsFile: every dtype, scalars, empty tensors, streams, callbacks, layout.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Safetensors;

[TestClass]
public sealed class SafetensorsRoundTripTests
{
    [TestMethod]
    public void Save_EveryDType_ReadsBackSameBytesShapesAndMetadata()
    {
        using var dir = new TempDirectory();
        var path = dir.File("all.safetensors");
        var rng = new Random(7);
        var expected = new Dictionary<string, (SafetensorsDType DType, long[] Shape, byte[] Data)>();
        var writer = new SafetensorsWriter();
        foreach (var dtype in Enum.GetValues<SafetensorsDType>())
        {
            long[] shape = [2, 3, 1 + (int)dtype];
            var data = new byte[6 * (1 + (int)dtype) * dtype.ElementSize()];
            rng.NextBytes(data);
            var name = "layer." + dtype.HeaderCode().ToLowerInvariant() + ".weight";
            writer.Add(name, dtype, shape, data);
            expected[name] = (dtype, shape, data);
        }

        writer.SetMetadata("format", "pt").SetMetadata("step", "42");
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.HasCount(expected.Count, file.Tensors);
        foreach (var (name, (dtype, shape, data)) in expected)
        {
            var info = file.GetInfo(name);
            Assert.AreEqual(dtype, info.DType, name);
            CollectionAssert.AreEqual(shape, info.GetShapeArray(), name);
            CollectionAssert.AreEqual(data, file.ReadBytes(name), name);
            Assert.IsTrue(file.GetSpan(name).SequenceEqual(data), name);
            var copy = new byte[data.Length];
            file.CopyTo(name, copy);
            CollectionAssert.AreEqual(data, copy, name);
        }

        Assert.AreEqual("pt", file.Metadata["format"]);
        Assert.AreEqual("42", file.Metadata["step"]);
        Assert.HasCount(2, file.Metadata);
    }

    [TestMethod]
    public void Save_ScalarAndEmptyTensors_RoundTrip()
    {
        using var dir = new TempDirectory();
        var path = dir.File("small.safetensors");
        new SafetensorsWriter()
            .Add("scalar", SafetensorsDType.F64, [], BitConverter.GetBytes(2.75))
            .Add("empty", SafetensorsDType.I32, [0, 5], [])
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        var scalar = file.GetInfo("scalar");
        Assert.AreEqual(0, scalar.Shape.Length);
        Assert.AreEqual(1L, scalar.ElementCount);
        Assert.AreEqual(2.75, BitConverter.ToDouble(file.GetSpan("scalar")));
        var empty = file.GetInfo("empty");
        CollectionAssert.AreEqual(new long[] { 0, 5 }, empty.GetShapeArray());
        Assert.AreEqual(0L, empty.ByteLength);
        Assert.AreEqual(0, file.GetSpan("empty").Length);
        Assert.IsEmpty(file.Metadata);
    }

    [TestMethod]
    public void Save_NoTensors_WritesValidEmptyFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("none.safetensors");
        new SafetensorsWriter().SetMetadata("note", "nothing").Save(path);
        using var file = SafetensorsFile.Open(path);
        Assert.IsEmpty(file.Tensors);
        Assert.AreEqual("nothing", file.Metadata["note"]);
    }

    [TestMethod]
    public void Save_Layout_HeaderPaddedWithSpacesAndDataOrderedBySizeThenName()
    {
        using var dir = new TempDirectory();
        var path = dir.File("layout.safetensors");
        new SafetensorsWriter()
            .Add("b_u8", SafetensorsDType.U8, [3], [1, 2, 3])
            .Add("a_u8", SafetensorsDType.U8, [1], [9])
            .Add("z_f64", SafetensorsDType.F64, [1], new byte[8])
            .Add("m_bf16", SafetensorsDType.BF16, [1], new byte[2])
            .Add("k_i32", SafetensorsDType.I32, [1], new byte[4])
            .Save(path);

        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0, (8 + n) % 8, "data section must start at a multiple of 8");
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        var trimmed = header.TrimEnd(' ');
        Assert.IsTrue(trimmed.EndsWith('}'), header);
        Assert.IsLessThan(8, header.Length - trimmed.Length);

        using var file = SafetensorsFile.Open(path);
        CollectionAssert.AreEqual(new[] { "z_f64", "k_i32", "m_bf16", "a_u8", "b_u8" }, file.Tensors.Select(t => t.Name).ToArray());
        using var json = JsonDocument.Parse(trimmed);
        var offsets = json.RootElement.GetProperty("b_u8").GetProperty("data_offsets");
        Assert.AreEqual(15, offsets[0].GetInt64());
        Assert.AreEqual(18, offsets[1].GetInt64());
        Assert.AreEqual(8 + n + 18, bytes.Length);
        CollectionAssert.AreEqual(new byte[] { 9, 1, 2, 3 }, bytes[^4..]);
    }

    [TestMethod]
    public void AddFromStreamAndCallback_WriteTheSuppliedBytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("deferred.safetensors");
        var fromStream = RawSafetensors.Counting(40);
        using var source = new MemoryStream(fromStream.Concat(new byte[] { 99, 99 }).ToArray());
        new SafetensorsWriter()
            .AddFromStream("s", SafetensorsDType.F32, [10], source)
            .AddFromCallback("c", SafetensorsDType.I64, [2], stream =>
            {
                stream.Write(BitConverter.GetBytes(-5L));
                stream.Write(BitConverter.GetBytes(long.MaxValue));
            })
            .Save(path);

        using var file = SafetensorsFile.Open(path);
        CollectionAssert.AreEqual(fromStream, file.ReadBytes("s"));
        var c = file.GetSpan("c");
        Assert.AreEqual(-5L, BinaryPrimitives.ReadInt64LittleEndian(c));
        Assert.AreEqual(long.MaxValue, BinaryPrimitives.ReadInt64LittleEndian(c[8..]));
        Assert.AreEqual(40, source.Position, "the writer reads exactly the tensor's bytes from the stream");
    }

    [TestMethod]
    public void Save_CallbackWritesTooFewBytes_ThrowsNamingTensorAndLeavesNoFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("short.safetensors");
        var writer = new SafetensorsWriter().AddFromCallback("w", SafetensorsDType.F32, [4], s => s.Write(new byte[12]));
        var ex = Assert.Throws<SafetensorsFormatException>(() => writer.Save(path));
        Assert.AreEqual("w", ex.TensorName);
        StringAssert.Contains(ex.Message, "12");
        StringAssert.Contains(ex.Message, "16");
        Assert.IsFalse(File.Exists(path));
        Assert.IsEmpty(Directory.GetFiles(dir.Path), "the temporary file must be removed");
    }

    [TestMethod]
    public void Save_CallbackWritesTooManyBytes_Throws()
    {
        using var dir = new TempDirectory();
        var writer = new SafetensorsWriter().AddFromCallback("w", SafetensorsDType.U8, [4], s => s.Write(new byte[5]));
        var ex = Assert.Throws<SafetensorsFormatException>(() => writer.Save(dir.File("long.safetensors")));
        Assert.AreEqual("w", ex.TensorName);
        Assert.IsEmpty(Directory.GetFiles(dir.Path));
    }

    [TestMethod]
    public void Save_StreamEndsEarly_ThrowsAndKeepsPreviousFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("keep.safetensors");
        new SafetensorsWriter().Add("old", SafetensorsDType.U8, [1], [1]).Save(path);
        var before = File.ReadAllBytes(path);
        using var source = new MemoryStream(new byte[3]);
        var writer = new SafetensorsWriter().AddFromStream("new", SafetensorsDType.F32, [1], source);
        var ex = Assert.Throws<SafetensorsFormatException>(() => writer.Save(path));
        StringAssert.Contains(ex.Message, "new");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path), "a failed save must not touch the existing file");
        Assert.HasCount(1, Directory.GetFiles(dir.Path));
    }

    [TestMethod]
    public void Save_ExistingFile_IsReplacedAtomically()
    {
        using var dir = new TempDirectory();
        var path = dir.File("sub/ckpt.safetensors");
        new SafetensorsWriter().Add("a", SafetensorsDType.U8, [1], [1]).Save(path);
        new SafetensorsWriter().Add("b", SafetensorsDType.U8, [2], [2, 3]).Save(path);
        using var file = SafetensorsFile.Open(path);
        Assert.IsFalse(file.Contains("a"));
        CollectionAssert.AreEqual(new byte[] { 2, 3 }, file.ReadBytes("b"));
        Assert.HasCount(1, Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [TestMethod]
    public void Add_InvalidArguments_Throw()
    {
        var writer = new SafetensorsWriter().Add("x", SafetensorsDType.F32, [1], new byte[4]);
        Assert.Throws<ArgumentException>(() => writer.Add("x", SafetensorsDType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.Add("", SafetensorsDType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", SafetensorsDType.F32, [1], new byte[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Add("neg", SafetensorsDType.F32, [-1], []));
        var ex = Assert.Throws<ArgumentException>(() => writer.Add("len", SafetensorsDType.F32, [2, 2], new byte[15]));
        StringAssert.Contains(ex.Message, "len");
        StringAssert.Contains(ex.Message, "16");
    }

    [TestMethod]
    public void GetInfo_UnknownName_ThrowsKeyNotFoundNamingFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("names.safetensors");
        new SafetensorsWriter().Add("present", SafetensorsDType.U8, [1], [1]).Save(path);
        using var file = SafetensorsFile.Open(path);
        var ex = Assert.Throws<KeyNotFoundException>(() => file.GetInfo("absent"));
        StringAssert.Contains(ex.Message, "names.safetensors");
        StringAssert.Contains(ex.Message, "present");
        Assert.IsFalse(file.TryGetInfo("absent", out _));
    }

    [TestMethod]
    public void GetSpan_AfterDispose_ThrowsObjectDisposed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("disposed.safetensors");
        new SafetensorsWriter().Add("t", SafetensorsDType.U8, [1], [1]).Save(path);
        var file = SafetensorsFile.Open(path);
        file.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.ReadBytes("t"));
    }

    [TestMethod]
    public void GetSpan_Range_ReturnsSliceAndRejectsOutOfBounds()
    {
        using var dir = new TempDirectory();
        var path = dir.File("range.safetensors");
        new SafetensorsWriter().Add("t", SafetensorsDType.U8, [10], RawSafetensors.Counting(10)).Save(path);
        using var file = SafetensorsFile.Open(path);
        CollectionAssert.AreEqual(new byte[] { 3, 4, 5 }, file.GetSpan("t", 3, 3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => file.GetSpan("t", 8, 3).ToArray());
    }
}
