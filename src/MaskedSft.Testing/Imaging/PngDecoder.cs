// Decodes non-interlaced 8-bit gray/gray+alpha/RGB/RGBA PNG files, checking signature, chunk CRCs and sizes.
using System.Buffers.Binary;
using System.IO.Compression;

namespace MaskedSft.Testing.Imaging;

/// <summary>
/// Decodes the PNG subset that thumbnails and most tools produce: bit depth 8, color types 0 (gray), 2 (RGB), 4 (gray + alpha)
/// and 6 (RGBA), no interlace, any of the five row filters, image data split over any number of IDAT chunks.
/// Ancillary chunks are skipped; every chunk's CRC is checked.
/// </summary>
public static class PngDecoder
{
    private const int MaxDimension = 1 << 15;

    /// <summary>Decodes <paramref name="png"/>.</summary>
    /// <param name="png">The file's bytes.</param>
    /// <returns>The pixels, row-major, channels interleaved.</returns>
    /// <exception cref="PngFormatException">When the bytes are not a valid PNG of the supported subset.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(PngEncoder.Signature))
        {
            throw new PngFormatException("not a PNG file: the 8-byte signature is missing.");
        }

        int width = 0, height = 0, channels = 0;
        bool sawHeader = false, sawEnd = false;
        using var idat = new MemoryStream();
        int position = 8;
        while (position < png.Length && !sawEnd)
        {
            if (position + 12 > png.Length)
            {
                throw new PngFormatException($"truncated PNG: a chunk header at byte {position} runs past the end ({png.Length} bytes).");
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(png[position..]);
            var type = png.Slice(position + 4, 4);
            var typeName = System.Text.Encoding.ASCII.GetString(type);
            if (length < 0 || (long)position + 12 + length > png.Length)
            {
                throw new PngFormatException($"truncated PNG: chunk '{typeName}' at byte {position} declares {length} bytes past the end.");
            }

            var data = png.Slice(position + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png[(position + 8 + length)..]);
            uint actual = Crc32.Append(Crc32.Compute(type), data);
            if (stored != actual)
            {
                throw new PngFormatException($"corrupted PNG: chunk '{typeName}' at byte {position} has CRC 0x{stored:X8}, computed 0x{actual:X8}.");
            }

            if (!sawHeader && typeName != "IHDR")
            {
                throw new PngFormatException($"invalid PNG: the first chunk is '{typeName}', not IHDR.");
            }

            switch (typeName)
            {
                case "IHDR":
                    (width, height, channels) = ParseHeader(data);
                    sawHeader = true;
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                case "PLTE":
                    throw new PngFormatException("unsupported PNG: palette images are not supported (use gray, RGB or RGBA).");
                default:
                    if ((type[0] & 0x20) == 0)
                    {
                        throw new PngFormatException($"unsupported PNG: unknown critical chunk '{typeName}'.");
                    }

                    break;
            }

            position += 12 + length;
        }

        if (!sawEnd)
        {
            throw new PngFormatException("truncated PNG: no IEND chunk.");
        }

        return new PngImage(width, height, channels, Unfilter(idat, width, height, channels));
    }

    private static (int Width, int Height, int Channels) ParseHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length != 13)
        {
            throw new PngFormatException($"invalid PNG: IHDR has {data.Length} bytes, expected 13.");
        }

        int width = BinaryPrimitives.ReadInt32BigEndian(data);
        int height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
        if (width <= 0 || height <= 0 || width > MaxDimension || height > MaxDimension)
        {
            throw new PngFormatException($"unsupported PNG: size {width}x{height} (each side must be 1..{MaxDimension}).");
        }

        if (data[8] != 8)
        {
            throw new PngFormatException($"unsupported PNG: bit depth {data[8]} (only 8 is supported).");
        }

        int channels = data[9] switch
        {
            0 => 1,
            2 => 3,
            4 => 2,
            6 => 4,
            _ => throw new PngFormatException($"unsupported PNG: color type {data[9]} (supported: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA)."),
        };
        if (data[10] != 0 || data[11] != 0 || data[12] != 0)
        {
            throw new PngFormatException($"unsupported PNG: compression {data[10]}, filter method {data[11]}, interlace {data[12]} (all must be 0).");
        }

        return (width, height, channels);
    }

    private static byte[] Unfilter(MemoryStream idat, int width, int height, int channels)
    {
        int stride = width * channels;
        var raw = new byte[(stride + 1) * height];
        idat.Position = 0;
        try
        {
            using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
            zlib.ReadExactly(raw);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw new PngFormatException($"corrupted PNG: the image data does not inflate to {raw.Length} bytes ({ex.Message}).", ex);
        }

        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (stride + 1)];
            if (filter > 4)
            {
                throw new PngFormatException($"corrupted PNG: row {y} has filter type {filter} (0-4 are defined).");
            }

            var source = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> above = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride);
            for (int i = 0; i < stride; i++)
            {
                int a = i >= channels ? row[i - channels] : 0;
                int b = above[i];
                int c = i >= channels ? above[i - channels] : 0;
                row[i] = (byte)(source[i] + PngEncoder.Predict(filter, a, b, c));
            }
        }

        return pixels;
    }
}
