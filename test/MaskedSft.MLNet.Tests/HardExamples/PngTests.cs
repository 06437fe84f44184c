// PNG encoder and decoder: CRC-32, round trips for every channel count, PIL-written files, corruption, 64x64x3 thumbnails.
using System.Text.Json;
using MaskedSft.Testing.Imaging;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class PngTests
{
    [TestMethod]
    public void Crc32_CheckValue_IsCbf43926()
    {
        Assert.AreEqual(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.AreEqual(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("1234"u8), "56789"u8));
        Assert.AreEqual(0u, Crc32.Compute([]));
    }

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
    public void Decode_CorruptedInputs_ThrowPngFormatException()
    {
        var png = PngEncoder.Encode(new byte[4 * 4 * 3], 4, 4, 3);
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png.AsSpan(1)));
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png.AsSpan(0, png.Length - 12)));
        var flipped = (byte[])png.Clone();
        flipped[42] ^= 0x10; // inside the IDAT data: CRC mismatch
        var ex = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(flipped));
        StringAssert.Contains(ex.Message, "CRC");
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode([]));
    }

    [TestMethod]
    public void Encode_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new byte[10], 2, 1, 5));
    }
}
