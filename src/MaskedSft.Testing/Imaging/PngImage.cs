// A decoded 8-bit PNG image: width, height, channels and interleaved row-major pixels (HWC).
namespace MaskedSft.Testing.Imaging;

/// <summary>An 8-bit image with interleaved channels in row-major order (height, width, channels).</summary>
public sealed class PngImage
{
    /// <summary>Creates the image.</summary>
    /// <param name="width">Width in pixels (&gt; 0).</param>
    /// <param name="height">Height in pixels (&gt; 0).</param>
    /// <param name="channels">1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).</param>
    /// <param name="pixels">height × width × channels bytes.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is not positive or the channel count is not 1-4.</exception>
    /// <exception cref="ArgumentException">When <paramref name="pixels"/> has the wrong length.</exception>
    public PngImage(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        if ((long)width * height * channels != pixels.Length)
        {
            throw new ArgumentException($"an image of {height}x{width}x{channels} needs {(long)width * height * channels} bytes, got {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Channels per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>Pixels, row-major, channels interleaved: index = (y × Width + x) × Channels + c.</summary>
    public byte[] Pixels { get; }

    /// <summary>The value of channel <paramref name="c"/> of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="y">Row.</param>
    /// <param name="x">Column.</param>
    /// <param name="c">Channel.</param>
    /// <returns>The byte.</returns>
    public byte this[int y, int x, int c] => Pixels[(((y * Width) + x) * Channels) + c];
}
