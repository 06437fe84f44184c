// Streaming writer of episode datasets: appends episodes of any size, validates them, and finalizes atomically (stage, fsync, rename).
using System.Buffers;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// Writes an episode dataset (format in <see cref="EpisodeDatasetFormat"/>) one episode at a time, in memory independent of the
/// dataset size. Files are written into a staging directory <c>.NAME.writing-&lt;hex&gt;</c> beside the target;
/// <see cref="Complete"/> fsyncs them and renames the directory into place, so the target path either does not exist or holds
/// a complete dataset. <see cref="Dispose"/> without <see cref="Complete"/> deletes the staging directory.
/// </summary>
/// <example>
/// <code>
/// using var writer = new EpisodeDatasetWriter("data/sft", new EpisodeDatasetWriterOptions { VocabSize = 50304, PadId = 50256 });
/// writer.AppendEpisode(tokens, mask);            // mask[i] = 1: train on token i as a target
/// writer.Complete();
/// </code>
/// </example>
public sealed class EpisodeDatasetWriter : IDisposable
{
    private const ulong FnvOffset = 0xCBF29CE484222325UL;
    private const ulong FnvPrime = 0x100000001B3UL;
    private const int ConvertChunk = 1 << 15;

    private readonly EpisodeDatasetWriterOptions options;
    private readonly EpisodeTokenType tokenType;
    private readonly HashSet<ulong> keys = [];
    private readonly ulong validationThreshold;
    private readonly bool allValidation;
    private FileStream? tokensStream;
    private FileStream? maskStream;
    private FileStream? advantagesStream;
    private FileStream? indexStream;
    private WriterState state;

    // The episode being written.
    private EpisodeMetadata current;
    private long currentStart;
    private int currentLength;
    private ulong currentHash;
    private long currentSupervised;

    private long trainCount;
    private long validationCount;
    private long supervisedTotal;
    private bool hasScores;
    private bool hasGroups;

    /// <summary>Creates the staging directory beside <paramref name="path"/> and opens its files.</summary>
    /// <param name="path">The dataset directory to create.</param>
    /// <param name="options">Vocabulary, pad id, advantages, tokenizer, split rule.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The vocabulary size, pad id, validation fraction or buffer size is out of range.</exception>
    /// <exception cref="IOException"><paramref name="path"/> exists and <see cref="EpisodeDatasetWriterOptions.Overwrite"/> is false.</exception>
    public EpisodeDatasetWriter(string path, EpisodeDatasetWriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.VocabSize);
        ArgumentOutOfRangeException.ThrowIfNegative(options.PadId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.PadId, options.VocabSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BufferSize);
        if (!(options.ValidationFraction >= 0 && options.ValidationFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1].");
        }

        this.options = options;
        tokenType = EpisodeTokenTypes.ForVocabSize(options.VocabSize);
        allValidation = options.ValidationFraction >= 1;
        validationThreshold = allValidation ? ulong.MaxValue : (ulong)(options.ValidationFraction * 18446744073709551616.0);

        TargetPath = Path.GetFullPath(Path.TrimEndingDirectorySeparator(path));
        var name = Path.GetFileName(TargetPath);
        if (name.Length == 0 || EpisodeDatasetFormat.IsStagingName(name))
        {
            throw new ArgumentException($"'{path}' is not a usable dataset directory name. Hint: use a plain name such as data/sft.", nameof(path));
        }

        if (Directory.Exists(TargetPath) && !options.Overwrite)
        {
            throw new IOException($"{TargetPath} already exists. Hint: choose another path or set Overwrite = true.");
        }

        var parent = Path.GetDirectoryName(TargetPath)!;
        Directory.CreateDirectory(parent);
        StagingPath = Path.Combine(parent, $".{name}{EpisodeDatasetFormat.StagingInfix}{Guid.NewGuid():N}");
        Directory.CreateDirectory(StagingPath);
        try
        {
            File.WriteAllText(
                Path.Combine(StagingPath, EpisodeDatasetFormat.WritingMarkerFileName),
                $"incomplete episode dataset for {TargetPath}, started {DateTimeOffset.UtcNow:O} by process {Environment.ProcessId}\n");
            tokensStream = Create(EpisodeDatasetFormat.TokensFileName);
            maskStream = Create(EpisodeDatasetFormat.MaskFileName);
            advantagesStream = options.WithAdvantages ? Create(EpisodeDatasetFormat.AdvantagesFileName) : null;
            indexStream = Create(EpisodeDatasetFormat.IndexFileName);
            indexStream.Write(stackalloc byte[EpisodeDatasetFormat.IndexHeaderSize]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private enum WriterState
    {
        Ready,
        InEpisode,
        Completed,
        Faulted,
        Disposed,
    }

    /// <summary>The dataset directory that <see cref="Complete"/> creates.</summary>
    public string TargetPath { get; }

    /// <summary>The staging directory being written.</summary>
    public string StagingPath { get; }

    /// <summary>Number of episodes ended so far.</summary>
    public long EpisodeCount => trainCount + validationCount;

    /// <summary>Number of tokens written so far (including the episode in progress).</summary>
    public long TokenCount { get; private set; }

    /// <summary>A test hook run by <see cref="Complete"/> just before the rename (to simulate a crash at the last moment).</summary>
    internal Action? BeforeRename { get; set; }

    /// <summary>Writes one whole episode.</summary>
    /// <param name="tokens">Token ids, each in <c>[0, VocabSize)</c>; at least one.</param>
    /// <param name="mask">One byte per token, 0 or 1: 1 = train on this token as a target.</param>
    /// <param name="advantages">One finite float per token when the writer has advantages, else empty.</param>
    /// <param name="metadata">Optional key, split, score and group.</param>
    /// <returns>The episode's key.</returns>
    /// <exception cref="ArgumentException">The spans' lengths differ, a token, mask byte or advantage is invalid, the key is taken, or the episode is empty.
    /// Nothing of the episode is written and the writer stays usable.</exception>
    /// <exception cref="InvalidOperationException">An episode is in progress, or the writer is completed, faulted or disposed.</exception>
    /// <exception cref="IOException">Writing failed; the writer is faulted.</exception>
    public ulong AppendEpisode(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> mask, ReadOnlySpan<float> advantages = default, EpisodeMetadata metadata = default)
    {
        if (tokens.IsEmpty)
        {
            ThrowIfNotReady();
            throw new ArgumentException($"episode {EpisodeCount} has no token; an episode holds at least one.", nameof(tokens));
        }

        BeginEpisode(metadata);
        Write(tokens, mask, advantages);
        return EndEpisode();
    }

    /// <summary>Starts an episode whose tokens come in chunks through <see cref="Write"/>.</summary>
    /// <param name="metadata">Optional key, split, score and group.</param>
    /// <exception cref="ArgumentException">The key is already used or the score is not finite.</exception>
    /// <exception cref="InvalidOperationException">An episode is in progress, or the writer is completed, faulted or disposed.</exception>
    public void BeginEpisode(EpisodeMetadata metadata = default)
    {
        ThrowIfNotReady();
        if (metadata.Key is { } key && keys.Contains(key))
        {
            throw new ArgumentException($"episode {EpisodeCount}: key 0x{key:X16} is already used by another episode. Hint: keys must be unique; omit the key to derive one from the content.", nameof(metadata));
        }

        if (metadata.Score is { } score && !double.IsFinite(score))
        {
            throw new ArgumentException($"episode {EpisodeCount}: score {score} is not finite.", nameof(metadata));
        }

        if (metadata.Split is { } split && split is not (DatasetSplit.Train or DatasetSplit.Validation))
        {
            throw new ArgumentException($"episode {EpisodeCount}: split {split} is not Train or Validation.", nameof(metadata));
        }

        current = metadata;
        currentStart = TokenCount;
        currentLength = 0;
        currentHash = FnvOffset;
        currentSupervised = 0;
        state = WriterState.InEpisode;
    }

    /// <summary>Appends a chunk of the current episode.</summary>
    /// <param name="tokens">Token ids, each in <c>[0, VocabSize)</c>.</param>
    /// <param name="mask">One byte per token, 0 or 1.</param>
    /// <param name="advantages">One finite float per token when the writer has advantages, else empty.</param>
    /// <exception cref="ArgumentException">The lengths differ or a value is invalid. If it is the episode's first chunk, the episode
    /// is discarded and the writer stays usable; otherwise the writer is faulted (dispose it).</exception>
    /// <exception cref="InvalidOperationException">No episode is in progress.</exception>
    /// <exception cref="IOException">Writing failed; the writer is faulted.</exception>
    public void Write(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> mask, ReadOnlySpan<float> advantages = default)
    {
        if (state != WriterState.InEpisode)
        {
            throw new InvalidOperationException($"{StagingPath}: Write needs an episode in progress (state {state}). Hint: call BeginEpisode first.");
        }

        try
        {
            ValidateChunk(tokens, mask, advantages);
        }
        catch (ArgumentException)
        {
            state = currentLength == 0 ? WriterState.Ready : WriterState.Faulted;
            throw;
        }

        try
        {
            WriteChunk(tokens, mask, advantages);
        }
        catch
        {
            state = WriterState.Faulted;
            throw;
        }
    }

    /// <summary>Ends the current episode and writes its index entry.</summary>
    /// <returns>The episode's key (the given one, or derived from the content).</returns>
    /// <exception cref="ArgumentException">The episode has no token; it is discarded and the writer stays usable.</exception>
    /// <exception cref="InvalidOperationException">No episode is in progress.</exception>
    /// <exception cref="IOException">Writing failed; the writer is faulted.</exception>
    public ulong EndEpisode()
    {
        if (state != WriterState.InEpisode)
        {
            throw new InvalidOperationException($"{StagingPath}: EndEpisode needs an episode in progress (state {state}). Hint: call BeginEpisode first.");
        }

        if (currentLength == 0)
        {
            state = WriterState.Ready;
            throw new ArgumentException($"episode {EpisodeCount} has no token; an episode holds at least one.");
        }

        var key = current.Key ?? DeriveKey(currentHash);
        keys.Add(key);
        var split = current.Split ?? SplitOf(key);
        var entry = new EpisodeIndexEntry
        {
            TokenOffset = currentStart,
            Length = currentLength,
            Split = (byte)split,
            Flags = (byte)((current.Score.HasValue ? EpisodeDatasetFormat.FlagHasScore : 0) | (current.GroupId.HasValue ? EpisodeDatasetFormat.FlagHasGroup : 0)),
            Key = key,
            GroupId = current.GroupId ?? 0,
            Score = current.Score ?? 0,
        };
        try
        {
            indexStream!.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<EpisodeIndexEntry>(in entry)));
        }
        catch
        {
            state = WriterState.Faulted;
            throw;
        }

        if (split == DatasetSplit.Validation)
        {
            validationCount++;
        }
        else
        {
            trainCount++;
        }

        supervisedTotal += currentSupervised;
        hasScores |= current.Score.HasValue;
        hasGroups |= current.GroupId.HasValue;
        state = WriterState.Ready;
        return key;
    }

    /// <summary>
    /// Finishes the dataset: flushes and fsyncs every file, writes index.bin's header and dataset.json, removes the staging
    /// marker, and renames the staging directory to <see cref="TargetPath"/> (replacing an existing dataset if
    /// <see cref="EpisodeDatasetWriterOptions.Overwrite"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">An episode is in progress, or the writer is completed, faulted or disposed.</exception>
    /// <exception cref="IOException">The target exists (and Overwrite is false), or writing or renaming failed.</exception>
    public void Complete()
    {
        ThrowIfNotReady();
        try
        {
            FinishFiles();
            if (Directory.Exists(TargetPath) && !options.Overwrite)
            {
                throw new IOException($"{TargetPath} already exists. Hint: choose another path or set Overwrite = true.");
            }

            File.Delete(Path.Combine(StagingPath, EpisodeDatasetFormat.WritingMarkerFileName));
            DirectorySync.Flush(StagingPath);
            BeforeRename?.Invoke();
            var parent = Path.GetDirectoryName(TargetPath)!;
            string? old = null;
            if (Directory.Exists(TargetPath))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(TargetPath)}.old-{Guid.NewGuid():N}");
                Directory.Move(TargetPath, old);
            }

            Directory.Move(StagingPath, TargetPath);
            DirectorySync.Flush(parent);
            state = WriterState.Completed;
            if (old is not null)
            {
                Directory.Delete(old, recursive: true);
            }
        }
        catch
        {
            if (state != WriterState.Completed)
            {
                state = WriterState.Faulted;
            }

            throw;
        }
    }

    /// <summary>Closes the files; without a successful <see cref="Complete"/>, deletes the staging directory.</summary>
    public void Dispose()
    {
        if (state is WriterState.Disposed)
        {
            return;
        }

        CloseStreams();
        if (state != WriterState.Completed)
        {
            try
            {
                if (Directory.Exists(StagingPath))
                {
                    Directory.Delete(StagingPath, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The marker (or the staging name) still makes the leftover directory invalid to the reader.
            }
        }

        state = WriterState.Disposed;
    }

    /// <summary>Test hook: stops like a crashed process would, closing handles and leaving the staging directory behind.</summary>
    internal void SimulateCrash()
    {
        CloseStreams();
        state = WriterState.Disposed;
    }

    private FileStream Create(string fileName) =>
        new(Path.Combine(StagingPath, fileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, options.BufferSize, FileOptions.SequentialScan);

    private void ThrowIfNotReady()
    {
        if (state != WriterState.Ready)
        {
            var hint = state switch
            {
                WriterState.InEpisode => "call EndEpisode first.",
                WriterState.Faulted => "an earlier error left a partial episode; dispose the writer and start again.",
                _ => "create a new writer.",
            };
            throw new InvalidOperationException($"{StagingPath}: the writer is {state}. Hint: {hint}");
        }
    }

    private void ValidateChunk(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> mask, ReadOnlySpan<float> advantages)
    {
        var episode = EpisodeCount;
        if (mask.Length != tokens.Length)
        {
            throw new ArgumentException($"episode {episode}: {tokens.Length} tokens but {mask.Length} mask bytes; give one mask byte per token.", nameof(mask));
        }

        if (options.WithAdvantages ? advantages.Length != tokens.Length : !advantages.IsEmpty)
        {
            throw new ArgumentException(
                options.WithAdvantages
                    ? $"episode {episode}: {tokens.Length} tokens but {advantages.Length} advantages; give one advantage per token."
                    : $"episode {episode}: advantages given but the writer was created without WithAdvantages.",
                nameof(advantages));
        }

        var bad = tokens.IndexOfAnyExceptInRange(0, options.VocabSize - 1);
        if (bad >= 0)
        {
            throw new ArgumentException($"episode {episode}, token {currentLength + bad}: id {tokens[bad]} is outside [0, {options.VocabSize}). Hint: check the tokenizer and VocabSize.", nameof(tokens));
        }

        bad = mask.IndexOfAnyExceptInRange((byte)0, (byte)1);
        if (bad >= 0)
        {
            throw new ArgumentException($"episode {episode}, token {currentLength + bad}: mask value {mask[bad]}; mask bytes must be 0 or 1.", nameof(mask));
        }

        bad = EpisodeDatasetVerifier.IndexOfNonFinite(advantages);
        if (bad >= 0)
        {
            throw new ArgumentException($"episode {episode}, token {currentLength + bad}: advantage {advantages[bad]} is not finite.", nameof(advantages));
        }

        if ((long)currentLength + tokens.Length > int.MaxValue)
        {
            throw new ArgumentException($"episode {episode} would exceed {int.MaxValue} tokens.", nameof(tokens));
        }
    }

    private void WriteChunk(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> mask, ReadOnlySpan<float> advantages)
    {
        if (tokens.IsEmpty)
        {
            return;
        }

        var width = tokenType.ByteSize();
        var buffer = ArrayPool<byte>.Shared.Rent(ConvertChunk * width);
        try
        {
            for (var start = 0; start < tokens.Length; start += ConvertChunk)
            {
                var chunk = tokens.Slice(start, Math.Min(ConvertChunk, tokens.Length - start));
                if (tokenType == EpisodeTokenType.UInt16)
                {
                    var narrow = MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(0, chunk.Length * 2));
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        narrow[i] = (ushort)chunk[i];
                    }
                }
                else
                {
                    MemoryMarshal.AsBytes(chunk).CopyTo(buffer);
                }

                tokensStream!.Write(buffer, 0, chunk.Length * width);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        maskStream!.Write(mask);
        advantagesStream?.Write(MemoryMarshal.AsBytes(advantages));

        var hash = currentHash;
        for (var i = 0; i < tokens.Length; i++)
        {
            hash = (hash ^ ((uint)tokens[i] | ((ulong)mask[i] << 32))) * FnvPrime;
        }

        currentHash = hash;
        currentSupervised += mask.Count((byte)1) - (currentLength == 0 ? mask[0] : 0);
        currentLength += tokens.Length;
        TokenCount += tokens.Length;
    }

    private ulong DeriveKey(ulong hash)
    {
        var key = SplitMix64.Mix(hash);
        for (ulong n = 1; keys.Contains(key); n++)
        {
            key = SplitMix64.Mix(hash + n);
        }

        return key;
    }

    private DatasetSplit SplitOf(ulong key) =>
        allValidation || SplitMix64.Mix(key ^ options.SplitSeed) < validationThreshold ? DatasetSplit.Validation : DatasetSplit.Train;

    private void FinishFiles()
    {
        Span<byte> header = stackalloc byte[EpisodeDatasetFormat.IndexHeaderSize];
        EpisodeDatasetFormat.IndexMagic.CopyTo(header);
        MemoryMarshal.Write(header[8..], (uint)EpisodeDatasetFormat.IndexVersion);
        MemoryMarshal.Write(header[12..], (uint)EpisodeDatasetFormat.IndexEntrySize);
        MemoryMarshal.Write(header[16..], EpisodeCount);
        MemoryMarshal.Write(header[24..], TokenCount);
        indexStream!.Flush();
        indexStream.Position = 0;
        indexStream.Write(header);
        foreach (var stream in new[] { tokensStream, maskStream, advantagesStream, indexStream })
        {
            stream?.Flush(flushToDisk: true);
        }

        CloseStreams();

        var version = typeof(EpisodeDatasetWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var datasetHeader = new EpisodeDatasetHeader
        {
            Magic = EpisodeDatasetFormat.HeaderMagic,
            FormatVersion = EpisodeDatasetFormat.CurrentVersion,
            DatasetId = Guid.NewGuid().ToString("N"),
            TokenTypeName = tokenType.ToJsonName(),
            VocabSize = options.VocabSize,
            PadId = options.PadId,
            EpisodeCount = EpisodeCount,
            TrainEpisodeCount = trainCount,
            ValidationEpisodeCount = validationCount,
            TokenCount = TokenCount,
            SupervisedTargetCount = supervisedTotal,
            HasAdvantages = options.WithAdvantages,
            HasScores = hasScores,
            HasGroups = hasGroups,
            Tokenizer = options.Tokenizer,
            Created = new DatasetCreationInfo
            {
                Utc = DateTimeOffset.UtcNow,
                Tool = $"MaskedSft.MLNet {version}",
                Host = Environment.MachineName,
                Source = options.Source,
            },
            Split = new SplitRule { ValidationFraction = options.ValidationFraction, Seed = options.SplitSeed },
        };
        using (var stream = new FileStream(Path.Combine(StagingPath, EpisodeDatasetFormat.HeaderFileName), FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, datasetHeader, DataJsonContext.Default.EpisodeDatasetHeader);
            stream.Flush(flushToDisk: true);
        }
    }

    private void CloseStreams()
    {
        foreach (var stream in new[] { tokensStream, maskStream, advantagesStream, indexStream })
        {
            try
            {
                stream?.Dispose();
            }
            catch (IOException)
            {
                // Closing after a failed write: the staging directory is discarded anyway.
            }
        }

        tokensStream = maskStream = advantagesStream = indexStream = null;
    }
}
