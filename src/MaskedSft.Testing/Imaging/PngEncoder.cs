// Encodes 8-bit gray/RGB/RGBA pixels as a PNG (zlib via ZLibStream, CRC-32 per chunk, adaptive per-row filters).
using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace MaskedSft.Testing.Imaging;

/// <summary>
/// Writes non-interlaced 8-bit PNG files. Each row gets the filter (None, Sub, Up, Average, Paeth) with the smallest sum of
/// absolute filtered values, the heuristic the PNG specification recommends; the image data is one zlib stream in one IDAT chunk.
/// </summary>
public static class PngEncoder
{
    /// <summary>The 8-byte PNG signature.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes <paramref name="image"/>.</summary>
    /// <param name="image">The image.</param>
    /// <param name="level">The zlib compression level.</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="image"/> is null.</exception>
    public static byte[] Encode(PngImage image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Encode(image.Pixels, image.Width, image.Height, image.Channels, level);
    }

    /// <summary>Encodes interleaved 8-bit pixels (height, width, channels), row-major.</summary>
    /// <param name="pixels">height × width × channels bytes.</param>
    /// <param name="width">Width in pixels (&gt; 0).</param>
    /// <param name="height">Height in pixels (&gt; 0).</param>
    /// <param name="channels">1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).</param>
    /// <param name="level">The zlib compression level.</param>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When a dimension is not positive or the channel count is not 1-4.</exception>
    /// <exception cref="ArgumentException">When <paramref name="pixels"/> has the wrong length.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels, CompressionLevel level = CompressionLevel.Optimal)
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

        if (stride + 1 > int.MaxValue / 8)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"rows of {stride} bytes are too long for this encoder.");
        }

        byte colorType = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = colorType;
        ihdr[10] = 0; // deflate
        ihdr[11] = 0; // adaptive filtering
        ihdr[12] = 0; // no interlace
        WriteChunk(output, "IHDR"u8, ihdr);

        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, level, leaveOpen: true))
            {
                WriteFilteredRows(zlib, pixels, (int)stride, height, channels);
            }

            WriteChunk(output, "IDAT"u8, compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
        }

        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static void WriteFilteredRows(Stream destination, ReadOnlySpan<byte> pixels, int stride, int height, int bpp)
    {
        var pool = ArrayPool<byte>.Shared;
        var candidates = pool.Rent(5 * (stride + 1));
        var zeroRow = pool.Rent(stride);
        try
        {
            Array.Clear(zeroRow, 0, stride);
            for (int y = 0; y < height; y++)
            {
                var row = pixels.Slice(y * stride, stride);
                var above = y == 0 ? zeroRow.AsSpan(0, stride) : pixels.Slice((y - 1) * stride, stride);
                int best = 0;
                long bestScore = long.MaxValue;
                for (int filter = 0; filter < 5; filter++)
                {
                    var target = candidates.AsSpan(filter * (stride + 1), stride + 1);
                    target[0] = (byte)filter;
                    long score = Filter(filter, row, above, bpp, target[1..]);
                    if (score < bestScore)
                    {
                        bestScore = score;
                        best = filter;
                    }
                }

                destination.Write(candidates, best * (stride + 1), stride + 1);
            }
        }
        finally
        {
            pool.Return(candidates);
            pool.Return(zeroRow);
        }
    }

    /// <summary>Applies PNG filter <paramref name="filter"/> and returns the sum of the outputs as signed bytes' magnitudes.</summary>
    private static long Filter(int filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, int bpp, Span<byte> output)
    {
        long score = 0;
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = above[i];
            int c = i >= bpp ? above[i - bpp] : 0;
            byte value = (byte)(row[i] - Predict(filter, a, b, c));
            output[i] = value;
            score += value < 128 ? value : 256 - value;
        }

        return score;
    }

    /// <summary>
    /// The predictor of PNG filter type <paramref name="filter"/> (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) from the left
    /// (<paramref name="a"/>), above (<paramref name="b"/>) and upper-left (<paramref name="c"/>) bytes; the caller checks
    /// that the type is 0-4.
    /// </summary>
    internal static int Predict(int filter, int a, int b, int c) => filter switch
    {
        0 => 0,
        1 => a,
        2 => b,
        3 => (a + b) >> 1,
        _ => Paeth(a, b, c),
    };

    /// <summary>The Paeth predictor of the PNG specification.</summary>
    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(type), data));
        output.Write(word);
    }
}
