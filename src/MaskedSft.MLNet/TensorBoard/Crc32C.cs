// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's masked form of it.
using System.Buffers.Binary;
using System.Numerics;

namespace MaskedSft.MLNet.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78, initial value and final XOR 0xFFFFFFFF), as used by
/// the TFRecord framing of TensorBoard event files, computed with <see cref="BitOperations.Crc32C(uint, ulong)"/> (the
/// SSE4.2 / ARMv8 instruction where the CPU has it, a table otherwise). <see cref="Mask"/> is TensorFlow's rotation plus
/// constant that keeps a CRC of data that itself holds CRCs from looking like one.
/// </summary>
public static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>The CRC-32C of <paramref name="data"/> (e.g. "123456789" gives 0xE3069283).</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The checksum.</returns>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>TensorFlow's masked CRC: <c>((crc &gt;&gt; 15) | (crc &lt;&lt; 17)) + 0xa282ead8</c>.</summary>
    /// <param name="crc">A CRC-32C.</param>
    /// <returns>The masked value stored in a TFRecord.</returns>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);

    /// <summary>The masked CRC-32C of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The masked checksum.</returns>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
