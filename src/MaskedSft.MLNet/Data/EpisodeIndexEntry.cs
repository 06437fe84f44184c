// The 40-byte record of one episode in index.bin, read and written in place over memory-mapped bytes.
using System.Runtime.InteropServices;

namespace MaskedSft.MLNet.Data;

/// <summary>One entry of index.bin, laid out exactly as on disk (little-endian, 40 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = EpisodeDatasetFormat.IndexEntrySize)]
internal struct EpisodeIndexEntry
{
    /// <summary>Absolute token offset of the episode's first token.</summary>
    [FieldOffset(0)]
    public long TokenOffset;

    /// <summary>Length in tokens (at least 1).</summary>
    [FieldOffset(8)]
    public int Length;

    /// <summary>0 train, 1 validation.</summary>
    [FieldOffset(12)]
    public byte Split;

    /// <summary>Bit 0: has score; bit 1: has group.</summary>
    [FieldOffset(13)]
    public byte Flags;

    /// <summary>Reserved, 0.</summary>
    [FieldOffset(14)]
    public ushort Reserved;

    /// <summary>The stable episode key.</summary>
    [FieldOffset(16)]
    public ulong Key;

    /// <summary>The group id when flag bit 1 is set, else 0.</summary>
    [FieldOffset(24)]
    public long GroupId;

    /// <summary>The score when flag bit 0 is set, else 0.</summary>
    [FieldOffset(32)]
    public double Score;
}
