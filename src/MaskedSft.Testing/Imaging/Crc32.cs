// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as PNG chunks use it.
namespace MaskedSft.Testing.Imaging;

/// <summary>The CRC-32 of PNG chunks and zip files (polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF).</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC-32 of <paramref name="data"/>.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The checksum; 0xCBF43926 for the ASCII bytes "123456789".</returns>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a checksum: <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    /// <param name="crc">The checksum of the bytes so far (0 for none).</param>
    /// <param name="data">The next bytes.</param>
    /// <returns>The checksum of all bytes.</returns>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (var b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
