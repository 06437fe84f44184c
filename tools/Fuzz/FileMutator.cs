// Picks and applies a mutation that fits a file's kind: byte-level for every file, structure-aware for JSON, JSON lines and
// safetensors headers, line-level for text.
using System.Buffers.Binary;
using System.Text;

namespace MaskedSft.Tools.Fuzz;

/// <summary>Applies one mutation of a kind that fits the file.</summary>
public static class FileMutator
{
    /// <summary>Mutates the bytes of a file of the given kind.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="kind">The file's format.</param>
    /// <param name="random">The source of choices.</param>
    /// <param name="name">Set to the mutation's description.</param>
    /// <returns>The mutated bytes.</returns>
    public static byte[] Mutate(byte[] data, FuzzFileKind kind, Random random, out string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        switch (kind)
        {
            case FuzzFileKind.Json when random.Next(10) < 6:
                if (JsonMutator.Mutate(data, random, out name) is { } json) return json;
                break;
            case FuzzFileKind.JsonLines when random.Next(10) < 7:
                return MutateLine(data, random, json: true, out name);
            case FuzzFileKind.Text when random.Next(2) == 0:
                return MutateLine(data, random, json: false, out name);
            case FuzzFileKind.Safetensors when random.Next(2) == 0:
                if (MutateSafetensorsHeader(data, random, out name) is { } mutated) return mutated;
                break;
            case FuzzFileKind.Safetensors when data.Length > 8:
            {
                // Byte mutations aimed at the length prefix and header, where the parser lives.
                long headerLength = BinaryPrimitives.ReadInt64LittleEndian(data);
                int end = (int)Math.Clamp(8 + headerLength, 8, data.Length);
                var head = ByteMutator.Mutate(data[..end], random, out name);
                name = "header bytes: " + name;
                return [.. head, .. data[end..]];
            }
        }

        return ByteMutator.Mutate(data, random, out name);
    }

    private static byte[] MutateLine(byte[] data, Random random, bool json, out string name)
    {
        var lines = Encoding.UTF8.GetString(data).Split('\n').ToList();
        int i = random.Next(lines.Count);
        switch (random.Next(json ? 6 : 3))
        {
            case 0:
                lines.RemoveAt(i);
                name = $"delete line {i + 1}";
                break;
            case 1:
                lines.Insert(random.Next(lines.Count + 1), lines[i]);
                name = $"duplicate line {i + 1}";
                break;
            case 2:
            {
                var bytes = ByteMutator.Mutate(Encoding.UTF8.GetBytes(lines[i]), random, out var inner);
                lines[i] = Encoding.UTF8.GetString(bytes);
                name = $"line {i + 1}: {inner}";
                break;
            }

            default:
            {
                var mutated = JsonMutator.Mutate(Encoding.UTF8.GetBytes(lines[i]), random, out var inner);
                if (mutated is null) goto case 2;
                lines[i] = Encoding.UTF8.GetString(mutated).Replace("\n", " ", StringComparison.Ordinal);
                name = $"line {i + 1}: {inner}";
                break;
            }
        }

        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    private static byte[]? MutateSafetensorsHeader(byte[] data, Random random, out string name)
    {
        name = "safetensors header: none";
        if (data.Length < 8) return null;
        long length = BinaryPrimitives.ReadInt64LittleEndian(data);
        if (length <= 0 || 8 + length > data.Length) return null;
        var header = data.AsSpan(8, (int)length).ToArray();
        if (JsonMutator.Mutate(header, random, out var inner) is not { } mutated) return null;
        name = "safetensors header " + inner;
        var result = new byte[8 + mutated.Length + (data.Length - 8 - (int)length)];
        BinaryPrimitives.WriteInt64LittleEndian(result, mutated.Length);
        mutated.CopyTo(result, 8);
        data.AsSpan(8 + (int)length).CopyTo(result.AsSpan(8 + mutated.Length));
        return result;
    }
}
