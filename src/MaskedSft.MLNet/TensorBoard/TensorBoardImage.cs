// An encoded image of a summary value: its size, channel count and PNG bytes.
namespace MaskedSft.MLNet.TensorBoard;

/// <summary>tensorflow's <c>Summary.Image</c>.</summary>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Colorspace">Channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</param>
/// <param name="Encoded">The PNG file's bytes.</param>
public sealed record TensorBoardImage(int Height, int Width, int Colorspace, byte[] Encoded)
{
    /// <summary>The image of a PNG file, its size and channels read from its IHDR chunk.</summary>
    /// <param name="png">The PNG bytes.</param>
    /// <returns>The image.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="png"/> is null.</exception>
    /// <exception cref="InvalidDataException">The bytes do not start with a PNG signature and IHDR chunk.</exception>
    public static TensorBoardImage FromPng(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        ReadOnlySpan<byte> signature = [137, 80, 78, 71, 13, 10, 26, 10];
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(signature) || png[12] != 'I' || png[13] != 'H' || png[14] != 'D' || png[15] != 'R')
            throw new InvalidDataException($"not a PNG image ({png.Length} bytes): expected the PNG signature and an IHDR chunk at offset 8.");
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        var channels = png[25] switch
        {
            0 => 1, // grey
            2 => 3, // RGB
            3 => 3, // palette: decoded as RGB
            4 => 2, // grey + alpha
            6 => 4, // RGBA
            var t => throw new InvalidDataException($"PNG IHDR at offset 25: unknown colour type {t}."),
        };
        return new TensorBoardImage(height, width, channels, png);
    }
}
