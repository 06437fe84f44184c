// ImageThumbnail: libtorch resize equals PyTorch's F.interpolate (area and bilinear), PNG decodes to 64x64x3, bad shapes rejected.
using System.Text.Json;
using MaskedSft.Testing.Imaging;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
[DoNotParallelize]
public sealed class ImageThumbnailTests
{
    /// <summary>The formula of scripts/reference/thumbnail_reference.py: (x*7 + y*13 + c*50 + (x*y) % 31) % 256, HWC uint8.</summary>
    private static Tensor Image(int h, int w)
    {
        var pixels = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    pixels[(((y * w) + x) * 3) + c] = (byte)(((x * 7) + (y * 13) + (c * 50) + (x * y % 31)) % 256);
                }
            }
        }

        return Tensor.FromSpan<byte>(pixels, [h, w, 3]);
    }

    [TestMethod]
    [DataRow("uint8_100x80", "area")]
    [DataRow("uint8_100x80", "bilinear")]
    [DataRow("float_37x53", "area")]
    [DataRow("float_37x53", "bilinear")]
    public void Resize_MatchesPyTorchInterpolate(string image, string mode)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(HardExampleTestData.FixturePath("thumbnail_reference.json")));
        var expected = Convert.FromHexString(doc.RootElement.GetProperty("cases").GetProperty($"{image}_{mode}").GetString()!);
        using var scope = new DisposeScope();
        var input = image.StartsWith("uint8", StringComparison.Ordinal) ? Image(100, 80) : Image(37, 53).To(ScalarType.Float32).Div(255.0);
        var thumbnail = ImageThumbnail.Resize(input, 64, mode == "area" ? InterpolationMode.Area : InterpolationMode.Bilinear);
        CollectionAssert.AreEqual(new long[] { 64, 64, 3 }, thumbnail.Shape);
        Assert.AreEqual(ScalarType.UInt8, thumbnail.DType);
        var actual = thumbnail.ToArray<byte>();
        int maxDifference = actual.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsLessThanOrEqualTo(1, maxDifference, "within one level (float rounding at .5 may differ across libtorch builds)");
        Assert.IsGreaterThan(0.99, actual.Zip(expected).Count(p => p.First == p.Second) / (double)actual.Length, "and almost every pixel identical");
        thumbnail.Dispose();
    }

    [TestMethod]
    public void EncodePng_Thumbnail_DecodesTo64x64x3EqualToResize()
    {
        using var scope = new DisposeScope();
        var input = Image(100, 80);
        var png = ImageThumbnail.EncodePng(input);
        var decoded = PngDecoder.Decode(png);
        Assert.AreEqual((64, 64, 3), (decoded.Height, decoded.Width, decoded.Channels));
        using var resized = ImageThumbnail.Resize(input);
        CollectionAssert.AreEqual(resized.ToArray<byte>(), decoded.Pixels);
    }

    [TestMethod]
    public void Resize_BadShapes_Throw()
    {
        using var scope = new DisposeScope();
        Assert.Throws<ArgumentException>(() => ImageThumbnail.Resize(TorchOps.Zeros([8, 8])));
        Assert.Throws<ArgumentException>(() => ImageThumbnail.Resize(TorchOps.Zeros([8, 8, 2])));
        Assert.Throws<ArgumentException>(() => ImageThumbnail.Resize(TorchOps.Zeros([0, 8, 3])));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageThumbnail.Resize(TorchOps.Zeros([8, 8, 3]), 0));
    }

    [TestMethod]
    public void Resize_LeaksNoTensors()
    {
        using var input = Image(50, 50);
        TensorLeakAssert.LeaksNothing(
            () =>
            {
                for (int i = 0; i < 20; i++)
                {
                    _ = ImageThumbnail.EncodePng(input);
                }
            },
            "EncodePng");
    }
}
