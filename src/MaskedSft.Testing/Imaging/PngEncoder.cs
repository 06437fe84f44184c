// Encodes 8-bit gray, gray+alpha, RGB and RGBA pixels as PNG through StbImageWriteSharp (a port of stb_image_write).
using StbImageWriteSharp;

namespace MaskedSft.Testing.Imaging;

/// <summary>
/// Writes non-interlaced 8-bit PNG files with StbImageWriteSharp (the C# port of stb_image_write: per-row filter chosen by
/// the PNG specification's heuristic, zlib-compressed image data). 1 channel is written as gray, 2 as gray + alpha, 3 as
/// RGB and 4 as RGBA (straight, not premultiplied, alpha).
/// </summary>
public static class PngEncoder
{
    /// <summary>The 8-byte PNG signature every file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="image"/>.</summary>
    /// <param name="image">The image.</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="image"/> is null.</exception>
    public static byte[] Encode(PngImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, image.Channels);
    }

    /// <summary>Encodes interleaved 8-bit pixels (height, width, channels), row-major.</summary>
    /// <param name="pixels">height × width × channels bytes.</param>
    /// <param name="width">Width in pixels (&gt; 0).</param>
    /// <param name="height">Height in pixels (&gt; 0).</param>
    /// <param name="channels">1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is not positive or the channel count is not 1-4.</exception>
    /// <exception cref="ArgumentException">When <paramref name="pixels"/> has the wrong length.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        long stride = (long)width * channels;
        if (stride * height != pixels.Length)
        {
            throw new ArgumentException($"an image of {height}x{width}x{channels} needs {stride * height} bytes, got {pixels.Length}.", nameof(pixels));
        }

        var components = channels switch
        {
            1 => ColorComponents.Grey,
            2 => ColorComponents.GreyAlpha,
            3 => ColorComponents.RedGreenBlue,
            _ => ColorComponents.RedGreenBlueAlpha,
        };
        using var output = new MemoryStream();
        new ImageWriter().WritePng(pixels.ToArray(), width, height, components, output);

        return output.ToArray();
    }
}
