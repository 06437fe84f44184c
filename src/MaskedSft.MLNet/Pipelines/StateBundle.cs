// The state a saved transformer carries inside an ML.NET model file: named files packed into one deterministic zip.
using System.IO.Compression;
using System.Security.Cryptography;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Named byte arrays (a tokenizer's files, a model's weights, a small JSON of settings) packed as one zip archive with
/// fixed timestamps and sorted names, so the same state always gives the same bytes and the same <see cref="IdOf"/>.
/// </summary>
internal sealed class StateBundle
{
    private static readonly DateTimeOffset FixedTime = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The entries by name.</summary>
    public SortedDictionary<string, byte[]> Entries { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds an entry.</summary>
    public StateBundle Add(string name, byte[] bytes)
    {
        Entries[name] = bytes;
        return this;
    }

    /// <summary>An entry's bytes.</summary>
    /// <exception cref="InvalidDataException">The bundle has no such entry.</exception>
    public byte[] Get(string name) => Entries.TryGetValue(name, out var bytes)
        ? bytes
        : throw new InvalidDataException($"The saved state has no '{name}' (it has {string.Join(", ", Entries.Keys)}). Hint: the model file was written by another version of MaskedSft.MLNet.");

    /// <summary>The zip bytes.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in Entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                entry.LastWriteTime = FixedTime;
                using var target = entry.Open();
                target.Write(bytes);
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads zip bytes written by <see cref="ToBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a zip archive.</exception>
    public static StateBundle FromBytes(byte[] bytes)
    {
        var bundle = new StateBundle();
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            using var source = entry.Open();
            using var copy = new MemoryStream();
            source.CopyTo(copy);
            bundle.Add(entry.FullName, copy.ToArray());
        }

        return bundle;
    }

    /// <summary>A content id of state bytes: 32 hex digits of their SHA-256.</summary>
    public static string IdOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..32];
}
