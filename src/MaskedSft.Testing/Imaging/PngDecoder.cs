// Decodes PNG files to 8-bit pixels with the file's own channel count through StbImageSharp (a port of stb_image).
using StbImageSharp;

namespace MaskedSft.Testing.Imaging;

/// <summary>
/// Decodes PNG files with StbImageSharp (the C# port of stb_image) into 8-bit pixels that keep the file's channels:
/// gray → 1, gray + alpha → 2, RGB → 3, RGBA → 4 (palette files expand to RGB, or RGBA with a transparency chunk;
/// 16-bit files are reduced to 8 bits). Interlaced files and any row filter decode. stb_image does not verify chunk
/// CRCs or the zlib checksum: a flipped bit inside the image data is reported when it breaks the compressed stream or a
/// row filter, otherwise it decodes to different pixels.
/// </summary>
public static class PngDecoder
{
    /// <summary>Decodes <paramref name="png"/>.</summary>
    /// <param name="png">The file's bytes.</param>
    /// <returns>The pixels, row-major, channels interleaved.</returns>
    /// <exception cref="PngFormatException">When the bytes are not a PNG file or do not decode.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < PngEncoder.Signature.Length || !png[..PngEncoder.Signature.Length].SequenceEqual(PngEncoder.Signature))
        {
            throw new PngFormatException("not a PNG file: the 8-byte signature is missing.");
        }

        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(png.ToArray(), ColorComponents.Default);
        }
        catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException)
        {
            var reason = string.IsNullOrWhiteSpace(e.Message) ? "the data ends early or is corrupted" : e.Message.Trim();
            throw new PngFormatException($"corrupted or truncated PNG ({png.Length} bytes): {reason}. Hint: re-encode the image; it is not a valid PNG file.", e);
        }

        int channels = result.Comp switch
        {
            ColorComponents.Grey => 1,
            ColorComponents.GreyAlpha => 2,
            ColorComponents.RedGreenBlue => 3,
            _ => 4,
        };
        return new PngImage(result.Width, result.Height, channels, result.Data);
    }
}
