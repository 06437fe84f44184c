// Validation of an episode dataset directory: header, index, file sizes and (optionally) content, collecting located errors.
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// Checks one dataset directory in the order header → index header → index entries → file sizes → content, and collects up
/// to a maximum number of <see cref="EpisodeDatasetError"/>s. A structural error stops before the checks that depend on it.
/// </summary>
internal sealed class EpisodeDatasetVerifier
{
    private const int ContentChunk = 1 << 20;

    private readonly string directory;
    private readonly int maxErrors;
    private readonly bool checkContent;

    /// <summary>Creates a validator.</summary>
    /// <param name="directory">The dataset directory.</param>
    /// <param name="maxErrors">Stop after this many errors.</param>
    /// <param name="checkContent">Whether to scan tokens, masks, advantages and keys.</param>
    public EpisodeDatasetVerifier(string directory, int maxErrors, bool checkContent)
    {
        this.directory = Path.GetFullPath(directory);
        this.maxErrors = maxErrors;
        this.checkContent = checkContent;
    }

    /// <summary>The errors found so far.</summary>
    public List<EpisodeDatasetError> Errors { get; } = [];

    private bool Full => Errors.Count >= maxErrors;

    /// <summary>Runs the checks; returns the opened files when there is no error (the caller owns them), else null.</summary>
    /// <returns>The opened, valid dataset files, or null.</returns>
    public EpisodeDatasetFiles? Run()
    {
        EpisodeDatasetFiles? files = null;
        try
        {
            files = RunChecks();
            if (files is not null && Errors.Count == 0)
            {
                var result = files;
                files = null;
                return result;
            }

            return null;
        }
        finally
        {
            files?.Dispose();
        }
    }

    private EpisodeDatasetFiles? RunChecks()
    {
        if (!BitConverter.IsLittleEndian)
        {
            Add(EpisodeDatasetErrorKind.UnsupportedVersion, directory, null, null, null,
                "episode datasets are little-endian and this machine is big-endian.", "read the dataset on a little-endian machine.");
            return null;
        }

        if (!Directory.Exists(directory))
        {
            var hint = File.Exists(directory)
                ? "pass the dataset directory, not a file inside it."
                : "check the path; create a dataset with EpisodeDatasetWriter or `maskedsft prepare`.";
            Add(EpisodeDatasetErrorKind.MissingFile, directory, null, null, null, "the dataset directory does not exist.", hint);
            return null;
        }

        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        var marker = Path.Combine(directory, EpisodeDatasetFormat.WritingMarkerFileName);
        if (EpisodeDatasetFormat.IsStagingName(name) || File.Exists(marker))
        {
            Add(EpisodeDatasetErrorKind.InterruptedWrite, directory, null, null, null,
                "this is the staging directory of an episode dataset write that did not complete (crashed, failed or still running).",
                "delete it and write the dataset again; EpisodeDatasetWriter renames the directory only after Complete().");
            return null;
        }

        var header = ReadHeader();
        if (header is null || !CheckHeader(header))
        {
            return null;
        }

        var files = new EpisodeDatasetFiles { Directory = directory, Header = header };
        try
        {
            if (!CheckIndexHeader(files) || !CheckIndexEntries(files) || !CheckDataFiles(files))
            {
                return files;
            }

            if (checkContent)
            {
                CheckContent(files);
            }

            return files;
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    private EpisodeDatasetHeader? ReadHeader()
    {
        var path = Path.Combine(directory, EpisodeDatasetFormat.HeaderFileName);
        if (!File.Exists(path))
        {
            Add(EpisodeDatasetErrorKind.MissingFile, path, null, null, null,
                "dataset.json is missing: the directory is not an episode dataset.",
                "point to a directory written by EpisodeDatasetWriter or `maskedsft prepare`.");
            return null;
        }

        try
        {
            var bytes = File.ReadAllBytes(path);
            var header = JsonSerializer.Deserialize(bytes, DataJsonContext.Default.EpisodeDatasetHeader);
            if (header is null)
            {
                Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, 0, null, "dataset.json holds null.", "rewrite the dataset.");
            }

            return header;
        }
        catch (JsonException e)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, e.BytePositionInLine, null,
                $"dataset.json is not valid JSON (line {(e.LineNumber ?? 0) + 1}): {e.Message}",
                "the header was edited or damaged; rewrite the dataset.");
            return null;
        }
        catch (IOException e)
        {
            Add(EpisodeDatasetErrorKind.MissingFile, path, null, null, null, $"dataset.json cannot be read: {e.Message}", "check permissions.");
            return null;
        }
    }

    private bool CheckHeader(EpisodeDatasetHeader h)
    {
        var path = Path.Combine(directory, EpisodeDatasetFormat.HeaderFileName);
        if (h.Magic != EpisodeDatasetFormat.HeaderMagic)
        {
            Add(EpisodeDatasetErrorKind.WrongMagic, path, null, null, null,
                $"magic is '{h.Magic}', expected '{EpisodeDatasetFormat.HeaderMagic}': this is not an episode dataset header.",
                "point to a directory written by EpisodeDatasetWriter.");
            return false;
        }

        if (h.FormatVersion > EpisodeDatasetFormat.CurrentVersion)
        {
            Add(EpisodeDatasetErrorKind.UnsupportedVersion, path, null, null, null,
                $"format version {h.FormatVersion} is newer than this build of MaskedSft.MLNet reads (up to version {EpisodeDatasetFormat.CurrentVersion}).",
                $"upgrade MaskedSft.MLNet, or re-export the dataset with format version {EpisodeDatasetFormat.CurrentVersion}.");
            return false;
        }

        if (h.FormatVersion < 1)
        {
            Add(EpisodeDatasetErrorKind.UnsupportedVersion, path, null, null, null,
                $"format version {h.FormatVersion} is not valid (versions start at 1).", "rewrite the dataset.");
            return false;
        }

        var before = Errors.Count;
        if (!EpisodeTokenTypes.TryParse(h.TokenTypeName, out var tokenType))
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null,
                $"tokenType is '{h.TokenTypeName}', expected 'uint16' or 'uint32'.", "rewrite the dataset.");
        }

        if (h.VocabSize <= 0)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null, $"vocabSize is {h.VocabSize}; it must be positive.", "rewrite the dataset.");
        }
        else if (tokenType == EpisodeTokenType.UInt16 && h.VocabSize > EpisodeDatasetFormat.MaxUInt16VocabSize)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null,
                $"vocabSize {h.VocabSize} does not fit tokenType uint16 (at most {EpisodeDatasetFormat.MaxUInt16VocabSize}).",
                "rewrite the dataset; the writer picks uint32 for larger vocabularies.");
        }
        else if (h.PadId < 0 || h.PadId >= h.VocabSize)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null,
                $"padId {h.PadId} is outside [0, {h.VocabSize}).", "rewrite the dataset with a pad id of the vocabulary.");
        }

        if (h.EpisodeCount < 0 || h.TokenCount < 0 || h.TrainEpisodeCount < 0 || h.ValidationEpisodeCount < 0 || h.SupervisedTargetCount < 0)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null, "a count is negative.", "rewrite the dataset.");
        }
        else if (h.EpisodeCount > int.MaxValue)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, null, null,
                $"episodeCount {h.EpisodeCount} exceeds {int.MaxValue}.", "split the data into several datasets.");
        }
        else if (h.TrainEpisodeCount + h.ValidationEpisodeCount != h.EpisodeCount)
        {
            Add(EpisodeDatasetErrorKind.CountMismatch, path, null, null, null,
                $"trainEpisodeCount {h.TrainEpisodeCount} + validationEpisodeCount {h.ValidationEpisodeCount} != episodeCount {h.EpisodeCount}.",
                "the header was edited or damaged; rewrite the dataset.");
        }

        return Errors.Count == before;
    }

    private bool CheckIndexHeader(EpisodeDatasetFiles files)
    {
        var h = files.Header;
        var index = OpenFile(EpisodeDatasetFormat.IndexFileName);
        if (index is null)
        {
            return false;
        }

        files.Index = index;
        var path = index.Path;
        if (index.Length < EpisodeDatasetFormat.IndexHeaderSize)
        {
            Add(EpisodeDatasetErrorKind.SizeMismatch, path, null, index.Length, null,
                $"index.bin is {index.Length} bytes, shorter than its {EpisodeDatasetFormat.IndexHeaderSize}-byte header.",
                "the index is truncated; rewrite the dataset.");
            return false;
        }

        if (!index.SpanAtByte<byte>(0, 8).SequenceEqual(EpisodeDatasetFormat.IndexMagic))
        {
            Add(EpisodeDatasetErrorKind.WrongMagic, path, null, 0, null,
                $"index.bin does not start with the magic 'MSEPIDX\\0' (found {Convert.ToHexString(index.SpanAtByte<byte>(0, 8))}).",
                "the file is not an episode index or is damaged; rewrite the dataset.");
            return false;
        }

        var version = index.At<uint>(8);
        if (version != EpisodeDatasetFormat.IndexVersion)
        {
            var newer = version > EpisodeDatasetFormat.IndexVersion;
            Add(EpisodeDatasetErrorKind.UnsupportedVersion, path, null, 8, null,
                newer
                    ? $"index version {version} is newer than this build reads (up to {EpisodeDatasetFormat.IndexVersion})."
                    : $"index version {version} is not valid.",
                newer ? "upgrade MaskedSft.MLNet, or re-export the dataset." : "rewrite the dataset.");
            return false;
        }

        var entrySize = index.At<uint>(12);
        if (entrySize != EpisodeDatasetFormat.IndexEntrySize)
        {
            Add(EpisodeDatasetErrorKind.InvalidHeader, path, null, 12, null,
                $"index entry size is {entrySize}, expected {EpisodeDatasetFormat.IndexEntrySize}.", "rewrite the dataset.");
            return false;
        }

        var count = index.At<long>(16);
        var tokens = index.At<long>(24);
        if (count != h.EpisodeCount || tokens != h.TokenCount)
        {
            Add(EpisodeDatasetErrorKind.CountMismatch, path, null, count != h.EpisodeCount ? 16 : 24, null,
                $"index.bin counts {count} episodes and {tokens} tokens, dataset.json {h.EpisodeCount} and {h.TokenCount}.",
                "the files come from different writes; rewrite the dataset.");
            return false;
        }

        var expected = EpisodeDatasetFormat.IndexHeaderSize + (count * EpisodeDatasetFormat.IndexEntrySize);
        if (index.Length != expected)
        {
            var cut = index.Length < expected ? (index.Length - EpisodeDatasetFormat.IndexHeaderSize) / EpisodeDatasetFormat.IndexEntrySize : (long?)null;
            Add(EpisodeDatasetErrorKind.SizeMismatch, path, cut, index.Length, null,
                $"index.bin is {index.Length} bytes; {count} entries need {expected} bytes"
                + (cut is { } c ? $" (truncated: entry {c} onwards is missing)." : " (extra bytes at the end)."),
                "the index was truncated or appended to; rewrite the dataset.");
            return false;
        }

        return true;
    }

    private bool CheckIndexEntries(EpisodeDatasetFiles files)
    {
        var h = files.Header;
        var index = files.Index!;
        var path = index.Path;
        var before = Errors.Count;
        long expectedOffset = 0, train = 0, validation = 0;
        var keys = checkContent ? new Dictionary<ulong, int>((int)Math.Min(h.EpisodeCount, 1 << 20)) : null;
        for (var e = 0; e < h.EpisodeCount && !Full; e++)
        {
            long at = EpisodeDatasetFormat.IndexHeaderSize + ((long)e * EpisodeDatasetFormat.IndexEntrySize);
            ref readonly var entry = ref index.At<EpisodeIndexEntry>(at);
            if (entry.Length < 1)
            {
                Add(EpisodeDatasetErrorKind.InvalidIndexEntry, path, e, at + 8, entry.TokenOffset,
                    $"episode length is {entry.Length}; every episode holds at least one token.", "rewrite the dataset.");
            }
            else if (entry.TokenOffset < 0 || entry.TokenOffset + entry.Length > h.TokenCount)
            {
                Add(EpisodeDatasetErrorKind.InvalidIndexEntry, path, e, at, entry.TokenOffset,
                    $"index past the end: the episode spans tokens [{entry.TokenOffset}, {entry.TokenOffset + entry.Length}) but tokens.bin holds {h.TokenCount} tokens.",
                    "the index does not belong to these token files or is damaged; rewrite the dataset.");
            }
            else if (entry.TokenOffset != expectedOffset)
            {
                Add(EpisodeDatasetErrorKind.InvalidIndexEntry, path, e, at, entry.TokenOffset,
                    $"the episode starts at token {entry.TokenOffset} but the previous one ends at {expectedOffset}; episodes must be contiguous and in order.",
                    "the index is damaged; rewrite the dataset.");
            }

            expectedOffset = entry.TokenOffset + Math.Max(entry.Length, 0);
            if (entry.Split > 1 || (entry.Flags & ~(EpisodeDatasetFormat.FlagHasScore | EpisodeDatasetFormat.FlagHasGroup)) != 0 || entry.Reserved != 0)
            {
                Add(EpisodeDatasetErrorKind.InvalidIndexEntry, path, e, at + 12, entry.TokenOffset,
                    $"invalid split {entry.Split}, flags 0x{entry.Flags:X2} or reserved {entry.Reserved} (split must be 0 or 1, flags use bits 0-1, reserved 0).",
                    "the index is damaged or from a newer writer; rewrite the dataset.");
            }

            if ((entry.Flags & EpisodeDatasetFormat.FlagHasScore) != 0 && !double.IsFinite(entry.Score))
            {
                Add(EpisodeDatasetErrorKind.NonFiniteValue, path, e, at + 32, entry.TokenOffset,
                    $"the episode's score is {entry.Score.ToString(CultureInfo.InvariantCulture)}, not finite.",
                    "drop or fix the episode's score before writing.");
            }

            if (entry.Split == 1)
            {
                validation++;
            }
            else
            {
                train++;
            }

            if (keys is not null && !keys.TryAdd(entry.Key, e))
            {
                Add(EpisodeDatasetErrorKind.DuplicateKey, path, e, at + 16, entry.TokenOffset,
                    $"key 0x{entry.Key:X16} is also the key of episode {keys[entry.Key]}; keys must be unique.",
                    "give every episode a distinct key (or let the writer derive them).");
            }
        }

        if (Errors.Count == before && !Full)
        {
            if (expectedOffset != h.TokenCount)
            {
                Add(EpisodeDatasetErrorKind.CountMismatch, path, null, null, expectedOffset,
                    $"the episodes cover {expectedOffset} tokens but the header says {h.TokenCount}.", "rewrite the dataset.");
            }
            else if (train != h.TrainEpisodeCount || validation != h.ValidationEpisodeCount)
            {
                Add(EpisodeDatasetErrorKind.CountMismatch, path, null, null, null,
                    $"the index holds {train} train and {validation} validation episodes, the header {h.TrainEpisodeCount} and {h.ValidationEpisodeCount}.",
                    "rewrite the dataset.");
            }
        }

        return Errors.Count == before;
    }

    private bool CheckDataFiles(EpisodeDatasetFiles files)
    {
        var h = files.Header;
        var before = Errors.Count;
        files.Tokens = CheckSize(files, EpisodeDatasetFormat.TokensFileName, h.TokenType.ByteSize(), "token");
        files.Mask = CheckSize(files, EpisodeDatasetFormat.MaskFileName, 1, "mask byte");
        var advantagesPath = Path.Combine(directory, EpisodeDatasetFormat.AdvantagesFileName);
        if (h.HasAdvantages)
        {
            files.Advantages = CheckSize(files, EpisodeDatasetFormat.AdvantagesFileName, sizeof(float), "advantage");
        }
        else if (File.Exists(advantagesPath))
        {
            Add(EpisodeDatasetErrorKind.CountMismatch, advantagesPath, null, null, null,
                "advantages.bin exists but dataset.json says hasAdvantages = false.",
                "the files come from different writes; delete advantages.bin or rewrite the dataset.");
        }

        return Errors.Count == before;
    }

    private MappedFile? CheckSize(EpisodeDatasetFiles files, string fileName, int elementSize, string what)
    {
        var file = OpenFile(fileName);
        if (file is null)
        {
            return null;
        }

        var tokenCount = files.Header.TokenCount;
        var expected = tokenCount * elementSize;
        if (file.Length == expected)
        {
            return file;
        }

        if (file.Length < expected)
        {
            var firstMissing = file.Length / elementSize;
            Add(EpisodeDatasetErrorKind.SizeMismatch, file.Path, FindEpisode(files, firstMissing), file.Length, firstMissing,
                $"{fileName} is {file.Length} bytes but the header says {tokenCount} tokens ({expected} bytes of {elementSize}-byte {what}s): the file is truncated from token {firstMissing} on.",
                "the write was cut short or the file was copied partially; copy it again or rewrite the dataset.");
        }
        else
        {
            Add(EpisodeDatasetErrorKind.SizeMismatch, file.Path, null, expected, tokenCount,
                $"{fileName} is {file.Length} bytes but the header says {tokenCount} tokens ({expected} bytes): {file.Length - expected} extra bytes at the end.",
                "the files come from different writes; rewrite the dataset.");
        }

        file.Dispose();
        return null;
    }

    private void CheckContent(EpisodeDatasetFiles files)
    {
        var h = files.Header;
        var count = h.TokenCount;
        var tokens = files.Tokens!;
        var mask = files.Mask!;
        var vocabMax = h.VocabSize - 1;
        var maskErrors = false;
        for (long start = 0; start < count && !Full; start += ContentChunk)
        {
            var n = (int)Math.Min(ContentChunk, count - start);
            if (h.TokenType == EpisodeTokenType.UInt16)
            {
                if (vocabMax < ushort.MaxValue)
                {
                    ScanTokens(files, tokens.Span<ushort>(start, n), start, (ushort)vocabMax, 2);
                }
            }
            else
            {
                ScanTokens(files, tokens.Span<uint>(start, n), start, (uint)vocabMax, 4);
            }

            var maskSpan = mask.Span<byte>(start, n);
            for (var i = maskSpan.IndexOfAnyExceptInRange((byte)0, (byte)1); i >= 0 && !Full;)
            {
                maskErrors = true;
                var at = start + i;
                Add(EpisodeDatasetErrorKind.InvalidMaskValue, mask.Path, FindEpisode(files, at), at, at,
                    $"mask value {maskSpan[i]}; mask bytes must be 0 or 1 (1 = train on this token as a target).",
                    "write 0/1 masks; convert Atropos-style masks (token id where trained, -100 elsewhere) to 1/0.");
                var next = maskSpan[(i + 1)..].IndexOfAnyExceptInRange((byte)0, (byte)1);
                i = next < 0 ? -1 : i + 1 + next;
            }

            if (files.Advantages is { } advantages)
            {
                var advSpan = advantages.Span<float>(start, n);
                for (var i = IndexOfNonFinite(advSpan); i >= 0 && !Full;)
                {
                    var at = start + i;
                    Add(EpisodeDatasetErrorKind.NonFiniteValue, advantages.Path, FindEpisode(files, at), at * 4, at,
                        $"advantage {advSpan[i].ToString(CultureInfo.InvariantCulture)} is not finite.",
                        "fix the advantage computation (a zero group std needs a floor) and rewrite the dataset.");
                    var next = IndexOfNonFinite(advSpan[(i + 1)..]);
                    i = next < 0 ? -1 : i + 1 + next;
                }
            }
        }

        if (Full || maskErrors)
        {
            return;
        }

        long ones = 0;
        for (long start = 0; start < count; start += ContentChunk)
        {
            ones += mask.Span<byte>(start, (int)Math.Min(ContentChunk, count - start)).Count((byte)1);
        }

        for (var e = 0; e < h.EpisodeCount; e++)
        {
            ref readonly var entry = ref files.Index!.At<EpisodeIndexEntry>(EpisodeDatasetFormat.IndexHeaderSize + ((long)e * EpisodeDatasetFormat.IndexEntrySize));
            ones -= mask.Span<byte>(entry.TokenOffset, 1)[0];
        }

        if (ones != h.SupervisedTargetCount)
        {
            Add(EpisodeDatasetErrorKind.CountMismatch, Path.Combine(directory, EpisodeDatasetFormat.HeaderFileName), null, null, null,
                $"supervisedTargetCount is {h.SupervisedTargetCount} but mask.bin holds {ones} supervised targets.",
                "mask.bin was modified after writing or comes from another write; rewrite the dataset.");
        }
    }

    private void ScanTokens<T>(EpisodeDatasetFiles files, ReadOnlySpan<T> span, long start, T max, int width)
        where T : unmanaged, IComparable<T>, INumberBase<T>
    {
        for (var i = span.IndexOfAnyExceptInRange(T.Zero, max); i >= 0 && !Full;)
        {
            var at = start + i;
            var tokenizer = files.Header.Tokenizer?.Name is { } name ? $" (header tokenizer: {name})" : string.Empty;
            Add(EpisodeDatasetErrorKind.TokenOutOfRange, files.Tokens!.Path, FindEpisode(files, at), at * width, at,
                $"token id {span[i]} is not below vocabSize {files.Header.VocabSize}.",
                $"the ids come from a different tokenizer or vocabulary{tokenizer}; rewrite the dataset with the right vocabSize.");
            var next = span[(i + 1)..].IndexOfAnyExceptInRange(T.Zero, max);
            i = next < 0 ? -1 : i + 1 + next;
        }
    }

    /// <summary>Index of the first NaN or infinity (exponent bits all ones), or -1.</summary>
    /// <param name="values">The values to scan.</param>
    /// <returns>The index, or -1.</returns>
    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var absMask = Vector256.Create(0x7FFFFFFFu);
            var infinity = Vector256.Create(0x7F800000u);
            for (; i <= bits.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
            {
                var v = Vector256.Create(bits.Slice(i, Vector256<uint>.Count)) & absMask;
                if (Vector256.GreaterThanOrEqualAny(v, infinity))
                {
                    break;
                }
            }
        }

        for (; i < bits.Length; i++)
        {
            if ((bits[i] & 0x7FFFFFFFu) >= 0x7F800000u)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The episode holding an absolute token offset, by binary search over the (contiguous) index, or null.</summary>
    /// <param name="files">The dataset files with a valid index.</param>
    /// <param name="token">The absolute token offset.</param>
    /// <returns>The episode index, or null when the index is not available or no episode holds the token.</returns>
    internal static long? FindEpisode(EpisodeDatasetFiles files, long token)
    {
        var index = files.Index;
        var count = files.Header.EpisodeCount;
        if (index is null || count == 0 || index.Length < EpisodeDatasetFormat.IndexHeaderSize + (count * EpisodeDatasetFormat.IndexEntrySize))
        {
            return null;
        }

        long lo = 0, hi = count - 1;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (index.At<long>(EpisodeDatasetFormat.IndexHeaderSize + (mid * EpisodeDatasetFormat.IndexEntrySize)) <= token)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        ref readonly var entry = ref index.At<EpisodeIndexEntry>(EpisodeDatasetFormat.IndexHeaderSize + (lo * EpisodeDatasetFormat.IndexEntrySize));
        return token >= entry.TokenOffset && token < entry.TokenOffset + entry.Length ? lo : null;
    }

    private MappedFile? OpenFile(string fileName)
    {
        var path = Path.Combine(directory, fileName);
        if (!File.Exists(path))
        {
            Add(EpisodeDatasetErrorKind.MissingFile, path, null, null, null, $"{fileName} is missing.",
                "the dataset is incomplete; copy it again or rewrite it.");
            return null;
        }

        try
        {
            return MappedFile.Open(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Add(EpisodeDatasetErrorKind.MissingFile, path, null, null, null, $"{fileName} cannot be opened: {e.Message}", "check permissions.");
            return null;
        }
    }

    private void Add(EpisodeDatasetErrorKind kind, string file, long? episode, long? byteOffset, long? tokenOffset, string message, string hint)
    {
        if (!Full)
        {
            Errors.Add(new EpisodeDatasetError(kind, file, episode, byteOffset, tokenOffset, message, hint));
        }
    }
}
