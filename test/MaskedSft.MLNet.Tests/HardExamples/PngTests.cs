// The PNG contract of the thumbnails (StbImageWriteSharp / StbImageSharp underneath): round trips for every channel count,
// the color type on disk, PIL-written files, broken files, 64x64x3 thumbnails.
using System.Text.Json;
using MaskedSft.Testing.Imaging;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class PngTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    public void EncodeDecode_RandomAndSmoothImages_RoundTrip(int channels)
    {
        var rng = new Random(channels);
        foreach (var (w, h) in new[] { (1, 1), (64, 64), (17, 5), (3, 40) })
        {
            var noise = new byte[w * h * channels];
            rng.NextBytes(noise);
            var smooth = Enumerable.Range(0, w * h * channels).Select(i => (byte)((i / channels % w) + (i / channels / w * 3) + (i % channels * 40))).ToArray();
            foreach (var pixels in new[] { noise, smooth })
            {
                var png = PngEncoder.Encode(pixels, w, h, channels);
                var image = PngDecoder.Decode(png);
                Assert.AreEqual(w, image.Width);
                Assert.AreEqual(h, image.Height);
                Assert.AreEqual(channels, image.Channels);
                CollectionAssert.AreEqual(pixels, image.Pixels);
            }
        }
    }

    [TestMethod]
    public void Decode_FilesWrittenByPil_MatchPilPixels()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(HardExampleTestData.FixturePath("png_reference.json")));
        foreach (var entry in doc.RootElement.GetProperty("images").EnumerateObject())
        {
            var image = PngDecoder.Decode(File.ReadAllBytes(HardExampleTestData.FixturePath(entry.Name)));
            Assert.AreEqual(entry.Value.GetProperty("width").GetInt32(), image.Width, entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("height").GetInt32(), image.Height, entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("channels").GetInt32(), image.Channels, entry.Name);
            Assert.AreEqual(entry.Value.GetProperty("hex").GetString(), Convert.ToHexStringLower(image.Pixels), entry.Name);
        }
    }

    [TestMethod]
    public void Encode_64x64Rgb_DecodesTo64x64x3AndIsCompact()
    {
        var pixels = new byte[64 * 64 * 3];
        for (int y = 0; y < 64; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                pixels[((y * 64) + x) * 3] = (byte)(x * 4);
                pixels[(((y * 64) + x) * 3) + 1] = (byte)(y * 4);
                pixels[(((y * 64) + x) * 3) + 2] = 128;
            }
        }

        var png = PngEncoder.Encode(pixels, 64, 64, 3);
        Assert.IsLessThan(pixels.Length / 4, png.Length, "adaptive filters compress a gradient well");
        var image = PngDecoder.Decode(png);
        Assert.AreEqual((64, 64, 3), (image.Height, image.Width, image.Channels));
        Assert.AreEqual(252, image[0, 63, 0]);
        Assert.AreEqual(252, image[63, 0, 1]);
    }

    [TestMethod]
    [DataRow(1, 0)]
    [DataRow(2, 4)]
    [DataRow(3, 2)]
    [DataRow(4, 6)]
    public void Encode_WritesTheSignatureAndTheColorTypeOfTheChannels(int channels, int colorType)
    {
        var png = PngEncoder.Encode(new byte[3 * 2 * channels], 3, 2, channels);
        CollectionAssert.AreEqual(PngEncoder.Signature.ToArray(), png[..8]);
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.AreEqual((3, 2), (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
        Assert.AreEqual(8, png[24], "bit depth");
        Assert.AreEqual(colorType, png[25], "color type: 0 gray, 4 gray+alpha, 2 RGB, 6 RGBA (straight alpha)");
    }

    [TestMethod]
    public void Decode_BrokenInputs_ThrowPngFormatException()
    {
        var png = PngEncoder.Encode(new byte[4 * 4 * 3], 4, 4, 3);
        StringAssert.Contains(Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png.AsSpan(1))).Message, "signature");
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode([]));
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png.AsSpan(0, 30)), "cut inside IHDR");
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png.AsSpan(0, png.Length - 12)), "no IEND");
        var broken = (byte[])png.Clone();
        const int ZlibHeader = 8 + 25 + 8; // signature, IHDR chunk, IDAT length + type
        Assert.AreEqual("IDAT", System.Text.Encoding.ASCII.GetString(png, ZlibHeader - 4, 4), "fixture: the first chunk after IHDR is IDAT");
        broken[ZlibHeader] ^= 0x10;
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(broken), "a broken zlib header");
    }

    [TestMethod]
    public void Encode_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new byte[10], 2, 1, 5));
    }
}
