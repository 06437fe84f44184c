// The Event encoding against bytes worked out by hand from the protobuf wire format, and the writer/reader round trip.
using MaskedSft.MLNet.TensorBoard;

namespace MaskedSft.MLNet.Tests.TensorBoard;

[TestClass]
public sealed class EventCodecTests
{
    [TestMethod]
    public void Encode_ScalarEvent_IsTheWireFormatByHand()
    {
        // Event { wall_time: 1.5 (field 1, fixed64), step: 3 (field 2, varint),
        //         summary (field 5) { value (field 1) { tag (1): "a", simple_value (2, fixed32): 2.0 } } }
        byte[] expected =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,
            0x10, 0x03,
            0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, (byte)'a', 0x15, 0, 0, 0, 0x40,
        ];
        var actual = EventCodec.Encode(new TensorBoardEvent(1.5, 3, [new TensorBoardValue("a", Scalar: 2f)]));
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void Encode_TextValue_IsAStringTensorWithTheTextPlugin()
    {
        // value { tag: "t", tensor (8) { dtype (1): DT_STRING = 7, tensor_shape (2): {}, string_val (8): "hi" },
        //         metadata (9) { plugin_data (1) { plugin_name (1): "text" } } }
        byte[] value =
        [
            0x0A, 0x01, (byte)'t',
            0x42, 0x08, 0x08, 0x07, 0x12, 0x00, 0x42, 0x02, (byte)'h', (byte)'i',
            0x4A, 0x08, 0x0A, 0x06, 0x0A, 0x04, (byte)'t', (byte)'e', (byte)'x', (byte)'t',
        ];
        var actual = EventCodec.Encode(new TensorBoardEvent(0, 1, [new TensorBoardValue("t", Text: "hi")]));
        byte[] expected = [0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x01, 0x2A, (byte)(value.Length + 2), 0x0A, (byte)value.Length, .. value];
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void Decode_RoundTripsEveryKind_AndSkipsUnknownFields()
    {
        var png = PngBytes(3, 2);
        var e = new TensorBoardEvent(1234.25, 42,
        [
            new TensorBoardValue("loss", Scalar: 0.125f),
            new TensorBoardValue("notes", Text: "| a | b |\n|---|---|\n| ünï | ✓ |"),
            new TensorBoardValue("img", Image: TensorBoardImage.FromPng(png)),
        ]);
        byte[] unknown = [0x38, 0x05]; // field 7 (varint) = 5: not a field we read
        var back = EventCodec.Decode([.. EventCodec.Encode(e), .. unknown], "test");
        Assert.AreEqual(1234.25, back.WallTime);
        Assert.AreEqual(42, back.Step);
        Assert.HasCount(3, back.Values);
        Assert.AreEqual(0.125f, back.Values[0].Scalar);
        Assert.AreEqual(e.Values[1].Text, back.Values[1].Text);
        var image = back.Values[2].Image!;
        Assert.AreEqual((2, 3, 3), (image.Height, image.Width, image.Colorspace));
        CollectionAssert.AreEqual(png, image.Encoded);
    }

    [TestMethod]
    public void Decode_Garbage_NamesTheSource()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => EventCodec.Decode([0x0A, 0x7F, 0x01], "file.tfevents: record 3"));
        StringAssert.Contains(e.Message, "file.tfevents: record 3");
    }

    [TestMethod]
    public void FromPng_RejectsOtherBytes()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => TensorBoardImage.FromPng([1, 2, 3]));
    }

    [TestMethod]
    public void Writer_FileStartsWithTheVersionHeader_AndResumeMarksTheNextStep()
    {
        var dir = Path.Combine(Path.GetTempPath(), "msft-tb-" + Guid.NewGuid().ToString("N"));
        try
        {
            var clock = 1000.0;
            using (var first = new TensorBoardWriter(dir, clock: () => clock))
            {
                for (var step = 1; step <= 5; step++) first.AddScalar("loss", step, step);
            }

            clock = 2000.0;
            using (var resumed = new TensorBoardWriter(dir, resumedAfterStep: 3, clock: () => clock))
            {
                StringAssert.StartsWith(Path.GetFileName(resumed.Path), "events.out.tfevents.0000002000.");
                resumed.AddScalar("loss", 4, 40);
            }

            var files = TensorBoardReader.Files(dir);
            Assert.HasCount(2, files);
            var header = TensorBoardReader.ReadFile(files[1]);
            Assert.AreEqual(TensorBoardWriter.FileVersion, header[0].FileVersion);
            Assert.IsTrue(header[1].IsSessionStart);
            Assert.AreEqual(4, header[1].Step);

            var visible = TensorBoardReader.ReadDirectory(dir).Select(x => (x.Step, x.Values[0].Scalar)).ToList();
            CollectionAssert.AreEqual(new (long, float?)[] { (1, 1f), (2, 2f), (3, 3f), (4, 40f) }, visible);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The first 33 bytes of an RGB PNG of the given size (signature and IHDR) and an IEND: enough for FromPng.</summary>
    internal static byte[] PngBytes(int width, int height)
    {
        var png = new byte[33];
        byte[] head = [137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];
        head.CopyTo(png, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        png[24] = 8; // bit depth
        png[25] = 2; // RGB
        return png;
    }
}
