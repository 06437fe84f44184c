// Reader of the episode dataset format (layout in EpisodeDatasetFormat.cs and docs/episode-dataset-format.md): validated, memory-mapped.
using System.Text.Json;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// An opened episode dataset. Every file is memory-mapped read-only and accessed through spans over the mapping; nothing is
/// loaded whole into managed memory. Spans returned by this class are valid until <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Format version 1, see <see cref="EpisodeDatasetFormat"/>: dataset.json, index.bin (32-byte header, 40-byte entries),
/// tokens.bin (uint16/uint32), mask.bin (uint8), optional advantages.bin (float32). <c>mask[i]</c> and <c>advantages[i]</c>
/// refer to token <c>i</c> as a target. Not thread-safe for disposal; concurrent reads are safe.
/// </remarks>
public sealed class EpisodeDataset : IDisposable
{
    private readonly EpisodeDatasetFiles files;
    private bool disposed;

    private EpisodeDataset(EpisodeDatasetFiles files)
    {
        this.files = files;
        Header = files.Header;
        TokenType = Header.TokenType;
    }

    /// <summary>The full path of the dataset directory.</summary>
    public string DirectoryPath => files.Directory;

    /// <summary>The parsed dataset.json.</summary>
    public EpisodeDatasetHeader Header { get; }

    /// <summary>The storage type of token ids.</summary>
    public EpisodeTokenType TokenType { get; }

    /// <summary>Number of episodes.</summary>
    public int EpisodeCount => (int)Header.EpisodeCount;

    /// <summary>Number of tokens over all episodes.</summary>
    public long TokenCount => Header.TokenCount;

    /// <summary>The vocabulary size: every token id is below it.</summary>
    public int VocabSize => Header.VocabSize;

    /// <summary>The pad id of the dataset.</summary>
    public int PadId => Header.PadId;

    /// <summary>Whether the dataset has per-token advantages.</summary>
    public bool HasAdvantages => Header.HasAdvantages;

    /// <summary>
    /// Returns true when <paramref name="path"/> is a complete episode dataset directory: dataset.json with the right magic and
    /// index.bin with the right magic, and no staging marker. Cheap: reads the header and 8 bytes; never throws for bad data.
    /// </summary>
    /// <param name="path">A directory path.</param>
    /// <returns>Whether the directory looks like an episode dataset (use <see cref="Open"/> to validate it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static bool IsEpisodeDataset(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            var full = Path.GetFullPath(path);
            if (!Directory.Exists(full)
                || EpisodeDatasetFormat.IsStagingName(Path.GetFileName(Path.TrimEndingDirectorySeparator(full)))
                || File.Exists(Path.Combine(full, EpisodeDatasetFormat.WritingMarkerFileName)))
            {
                return false;
            }

            var headerPath = Path.Combine(full, EpisodeDatasetFormat.HeaderFileName);
            var indexPath = Path.Combine(full, EpisodeDatasetFormat.IndexFileName);
            if (!File.Exists(headerPath) || !File.Exists(indexPath))
            {
                return false;
            }

            var header = JsonSerializer.Deserialize(File.ReadAllBytes(headerPath), DataJsonContext.Default.EpisodeDatasetHeader);
            if (header?.Magic != EpisodeDatasetFormat.HeaderMagic)
            {
                return false;
            }

            Span<byte> magic = stackalloc byte[8];
            using var stream = File.OpenRead(indexPath);
            return stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && magic.SequenceEqual(EpisodeDatasetFormat.IndexMagic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>Opens and validates a dataset directory.</summary>
    /// <param name="path">The dataset directory.</param>
    /// <param name="validation">How much to check; <see cref="EpisodeVerification.Full"/> scans the content once.</param>
    /// <returns>The opened dataset; dispose it to unmap the files.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="EpisodeDatasetException">
    /// The directory is missing, interrupted, or invalid: wrong magic, future version, file sizes that disagree with the header,
    /// an index entry out of bounds, a token not below the vocabulary size, a mask byte not 0/1, a non-finite advantage...
    /// The exception names the file, the episode, the offset, and gives a hint.
    /// </exception>
    public static EpisodeDataset Open(string path, EpisodeVerification validation = EpisodeVerification.Full)
    {
        ArgumentNullException.ThrowIfNull(path);
        var validator = new EpisodeDatasetVerifier(path, maxErrors: 1, checkContent: validation == EpisodeVerification.Full);
        var files = validator.Run();
        if (files is null)
        {
            throw new EpisodeDatasetException(validator.Errors[0]);
        }

        return new EpisodeDataset(files);
    }

    /// <summary>Runs the full validation of a dataset directory and returns its errors instead of throwing.</summary>
    /// <param name="path">The dataset directory.</param>
    /// <param name="maxErrors">Stop after this many errors.</param>
    /// <returns>The errors found, empty for a valid dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxErrors"/> is not positive.</exception>
    public static IReadOnlyList<EpisodeDatasetError> Verify(string path, int maxErrors = 20)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxErrors);
        var validator = new EpisodeDatasetVerifier(path, maxErrors, checkContent: true);
        validator.Run()?.Dispose();
        return validator.Errors;
    }

    /// <summary>Describes one episode.</summary>
    /// <param name="index">The episode index, in <c>[0, EpisodeCount)</c>.</param>
    /// <returns>The episode's offset, length, key, split, score and group.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public EpisodeInfo GetEpisode(int index)
    {
        ref readonly var e = ref Entry(index);
        return new EpisodeInfo(
            index,
            e.Key,
            e.TokenOffset,
            e.Length,
            (DatasetSplit)e.Split,
            (e.Flags & EpisodeDatasetFormat.FlagHasScore) != 0 ? e.Score : null,
            (e.Flags & EpisodeDatasetFormat.FlagHasGroup) != 0 ? e.GroupId : null);
    }

    /// <summary>Finds an episode by key (a linear scan of the index).</summary>
    /// <param name="key">The episode key.</param>
    /// <param name="index">The episode index when found.</param>
    /// <returns>Whether an episode has the key.</returns>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public bool TryFindEpisode(ulong key, out int index)
    {
        for (var e = 0; e < EpisodeCount; e++)
        {
            if (Entry(e).Key == key)
            {
                index = e;
                return true;
            }
        }

        index = -1;
        return false;
    }

    /// <summary>The token ids of a range, as stored, when the token type is uint16.</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <returns>A span over the mapping.</returns>
    /// <exception cref="InvalidOperationException">The dataset stores uint32 ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside tokens.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public ReadOnlySpan<ushort> GetTokensUInt16(long tokenOffset, int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (TokenType != EpisodeTokenType.UInt16)
        {
            throw new InvalidOperationException($"{DirectoryPath}: tokens are {TokenType.ToJsonName()}. Hint: use GetTokensUInt32 or CopyTokens.");
        }

        return files.Tokens!.Span<ushort>(tokenOffset, count);
    }

    /// <summary>The token ids of a range, as stored, when the token type is uint32.</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <returns>A span over the mapping.</returns>
    /// <exception cref="InvalidOperationException">The dataset stores uint16 ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside tokens.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public ReadOnlySpan<uint> GetTokensUInt32(long tokenOffset, int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (TokenType != EpisodeTokenType.UInt32)
        {
            throw new InvalidOperationException($"{DirectoryPath}: tokens are {TokenType.ToJsonName()}. Hint: use GetTokensUInt16 or CopyTokens.");
        }

        return files.Tokens!.Span<uint>(tokenOffset, count);
    }

    /// <summary>Copies token ids of a range, widened to int64, into <paramref name="destination"/>.</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="destination">Receives <c>destination.Length</c> ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside tokens.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public void CopyTokens(long tokenOffset, Span<long> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (TokenType == EpisodeTokenType.UInt16)
        {
            SpanConversions.Widen(files.Tokens!.Span<ushort>(tokenOffset, destination.Length), destination);
        }
        else
        {
            SpanConversions.Widen(files.Tokens!.Span<uint>(tokenOffset, destination.Length), destination);
        }
    }

    /// <summary>Copies token ids of a range into <paramref name="destination"/>.</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="destination">Receives <c>destination.Length</c> ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside tokens.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public void CopyTokens(long tokenOffset, Span<int> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (TokenType == EpisodeTokenType.UInt16)
        {
            var source = files.Tokens!.Span<ushort>(tokenOffset, destination.Length);
            for (var i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
        else
        {
            // Validated ids are below VocabSize <= int.MaxValue, so the reinterpretation is exact.
            System.Runtime.InteropServices.MemoryMarshal.Cast<uint, int>(files.Tokens!.Span<uint>(tokenOffset, destination.Length)).CopyTo(destination);
        }
    }

    /// <summary>The mask bytes of a range (1 = train on this token as a target).</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <returns>A span over the mapping.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside mask.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public ReadOnlySpan<byte> GetMask(long tokenOffset, int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return files.Mask!.Span<byte>(tokenOffset, count);
    }

    /// <summary>The advantages of a range (the weight of each token as a target).</summary>
    /// <param name="tokenOffset">Absolute offset of the first token.</param>
    /// <param name="count">Number of tokens.</param>
    /// <returns>A span over the mapping.</returns>
    /// <exception cref="InvalidOperationException">The dataset has no advantages.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside advantages.bin.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public ReadOnlySpan<float> GetAdvantages(long tokenOffset, int count)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return files.Advantages is { } advantages
            ? advantages.Span<float>(tokenOffset, count)
            : throw new InvalidOperationException($"{DirectoryPath}: the dataset has no advantages.bin. Hint: check HasAdvantages first.");
    }

    /// <summary>Copies one episode's token ids into a new array.</summary>
    /// <param name="index">The episode index.</param>
    /// <returns>The ids.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public int[] GetEpisodeTokens(int index)
    {
        ref readonly var e = ref Entry(index);
        var tokens = new int[e.Length];
        CopyTokens(e.TokenOffset, tokens);
        return tokens;
    }

    /// <summary>Copies one episode's mask bytes into a new array.</summary>
    /// <param name="index">The episode index.</param>
    /// <returns>The mask bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public byte[] GetEpisodeMask(int index)
    {
        ref readonly var e = ref Entry(index);
        return GetMask(e.TokenOffset, e.Length).ToArray();
    }

    /// <summary>Copies one episode's advantages into a new array, or returns null when the dataset has none.</summary>
    /// <param name="index">The episode index.</param>
    /// <returns>The advantages, or null.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public float[]? GetEpisodeAdvantages(int index)
    {
        ref readonly var e = ref Entry(index);
        return HasAdvantages ? GetAdvantages(e.TokenOffset, e.Length).ToArray() : null;
    }

    /// <summary>Computes counts per split, supervised-target totals and a length histogram (reads the mask once).</summary>
    /// <returns>The statistics.</returns>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public EpisodeDatasetStatistics ComputeStatistics()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return EpisodeDatasetStatistics.Compute(this);
    }

    /// <summary>Unmaps every file. Spans obtained before become invalid.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            files.Dispose();
        }
    }

    /// <summary>A reference to one index entry in the mapping.</summary>
    /// <param name="index">The episode index.</param>
    /// <returns>The entry.</returns>
    internal ref readonly EpisodeIndexEntry Entry(int index)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EpisodeCount);
        return ref files.Index!.At<EpisodeIndexEntry>(EpisodeDatasetFormat.IndexHeaderSize + ((long)index * EpisodeDatasetFormat.IndexEntrySize));
    }

    /// <summary>The token file mapping (for the loader's hot path).</summary>
    internal MappedFile TokensFile => files.Tokens!;

    /// <summary>The mask file mapping (for the loader's hot path).</summary>
    internal MappedFile MaskFile => files.Mask!;

    /// <summary>The advantage file mapping, or null.</summary>
    internal MappedFile? AdvantagesFile => files.Advantages;

    /// <summary>Whether the dataset has been disposed.</summary>
    internal bool IsDisposed => disposed;
}
