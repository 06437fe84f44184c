// Byte-level mutations: bit flips, truncation, insertion and deletion of bytes, interesting integers written over the data.
using System.Buffers.Binary;

namespace MaskedSft.Tools.Fuzz;

/// <summary>Mutates raw bytes; every choice comes from the given <see cref="Random"/>, so a seed reproduces the input.</summary>
public static class ByteMutator
{
    private static readonly long[] Interesting =
    [
        0, 1, -1, 2, 7, 8, 255, 256, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, int.MaxValue, int.MinValue, (long)int.MaxValue + 1,
        uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40, -(1L << 40),
    ];

    /// <summary>Applies one random byte-level mutation.</summary>
    /// <param name="data">The bytes.</param>
    /// <param name="random">The source of choices.</param>
    /// <param name="name">Set to the mutation's description.</param>
    /// <returns>The mutated bytes.</returns>
    public static byte[] Mutate(byte[] data, Random random, out string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (data.Length == 0)
        {
            name = "insert into empty";
            return RandomBytes(random, random.Next(1, 16));
        }

        switch (random.Next(7))
        {
            case 0:
            {
                var copy = (byte[])data.Clone();
                int flips = random.Next(1, 9);
                for (int i = 0; i < flips; i++) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                name = $"flip {flips} bit(s)";
                return copy;
            }

            case 1:
            {
                int length = random.Next(data.Length);
                name = $"truncate to {length}";
                return data[..length];
            }

            case 2:
            {
                int at = random.Next(data.Length + 1);
                var inserted = RandomBytes(random, random.Next(1, 17));
                name = $"insert {inserted.Length} byte(s) at {at}";
                return [.. data[..at], .. inserted, .. data[at..]];
            }

            case 3:
            {
                int at = random.Next(data.Length);
                int count = Math.Min(random.Next(1, 17), data.Length - at);
                name = $"delete {count} byte(s) at {at}";
                return [.. data[..at], .. data[(at + count)..]];
            }

            case 4:
            {
                var copy = (byte[])data.Clone();
                long value = Interesting[random.Next(Interesting.Length)];
                int width = random.Next(2) == 0 ? 4 : 8;
                if (copy.Length < width)
                {
                    goto case 0;
                }

                int at = random.Next(copy.Length - width + 1);
                if (random.Next(2) == 0) at -= at % width;
                if (width == 4) BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(at), unchecked((int)value));
                else BinaryPrimitives.WriteInt64LittleEndian(copy.AsSpan(at), value);
                name = $"int{width * 8} {value} at {at}";
                return copy;
            }

            case 5:
            {
                int at = random.Next(data.Length);
                int count = Math.Min(random.Next(1, 65), data.Length - at);
                int to = random.Next(data.Length + 1);
                name = $"copy {count} byte(s) from {at} to {to}";
                return [.. data[..to], .. data.AsSpan(at, count), .. data[to..]];
            }

            default:
            {
                var copy = (byte[])data.Clone();
                int at = random.Next(copy.Length);
                int count = Math.Min(random.Next(1, 33), copy.Length - at);
                byte fill = random.Next(3) switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
                copy.AsSpan(at, count).Fill(fill);
                name = $"fill {count} byte(s) at {at} with 0x{fill:X2}";
                return copy;
            }
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        if (random.Next(2) == 0) random.NextBytes(bytes);
        else bytes.AsSpan().Fill((byte)(random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => (byte)'"', _ => (byte)'{' }));
        return bytes;
    }
}
