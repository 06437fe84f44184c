// Deterministic, resumable batch loader over one split of an episode dataset: windows, padding, shifted targets, aligned masks.
using System.Globalization;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// Yields batches of (X, Y, loss mask, advantages) from one split of an <see cref="EpisodeDataset"/>.
/// </summary>
/// <remarks>
/// <para>
/// Samples: each episode with <c>L - 1 &lt;= T</c> targets is one sample; longer ones follow
/// <see cref="EpisodeLoaderOptions.LongEpisodes"/>. Single-token episodes (no target) are skipped.
/// </para>
/// <para>
/// Alignment (as everywhere in the format): for a sample window starting at absolute token <c>s</c>, <c>X[t] = tokens[s+t]</c>,
/// <c>Y[t] = tokens[s+t+1]</c>, <c>maskY[t] = mask[s+t+1]</c>, <c>advY[t] = adv[s+t+1]</c>; after the window's <c>m</c>
/// targets, X holds the pad id, Y the ignore index (-100), mask and advantage 0.
/// </para>
/// <para>
/// Order: epoch <c>e</c> visits the samples in the Fisher–Yates permutation drawn by
/// <see cref="Xoshiro256StarStar.ForEpoch"/>(seed, e), batch <c>b</c> taking permutation entries <c>[bB, (b+1)B)</c>; it depends on
/// (seed, epoch) only, so <see cref="State"/> (seed, epoch, position) resumes exactly, mid-epoch or at a boundary.
/// </para>
/// <para>
/// Sharding: with <see cref="EpisodeLoaderOptions.WorldSize"/> W &gt; 1, global batch <c>b</c> is permutation entries
/// <c>[bWB, (b+1)WB)</c> and rank <c>r</c> (<see cref="EpisodeLoaderOptions.Rank"/>) reads entries <c>bWB + r + kW</c>,
/// <c>k = 0..B-1</c>: every rank walks the same order, the ranks' batches at a position are disjoint and together form
/// the batch of one process with B' = WB, and the state (which does not depend on the rank) resumes every rank. With
/// DropLast off the epoch's final global batch is dealt the same way, so a rank's share of it can be smaller than the
/// others' or empty (<see cref="EpisodeBatch.Rows"/> = 0).
/// </para>
/// </remarks>
public sealed class EpisodeDataLoader
{
    private readonly EpisodeDataset dataset;
    private readonly Sample[] samples;
    private readonly int[] packStarts;       // packing: row p holds samples [packStarts[p], packStarts[p + 1]); else empty
    private readonly int batchSize;
    private readonly int blockSize;
    private readonly int rank;
    private readonly int worldSize;
    private readonly long padId;
    private readonly long ignoreIndex;
    private int[] order = [];
    private long orderEpoch = -1;

    /// <summary>Builds the samples of <paramref name="split"/> and positions the loader at the start or at a saved state.</summary>
    /// <param name="dataset">The open dataset (it must stay open while the loader is used).</param>
    /// <param name="split">The split to read.</param>
    /// <param name="options">Batch and block size, seed, policies.</param>
    /// <param name="resumeFrom">A state from <see cref="State"/> to resume from (its seed replaces <see cref="EpisodeLoaderOptions.Seed"/>), or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size in <paramref name="options"/> is out of range, the world size is not
    /// positive, or the rank is outside [0, WorldSize).</exception>
    /// <exception cref="ArgumentException"><paramref name="resumeFrom"/> belongs to another dataset or settings, or points past its epoch.</exception>
    /// <exception cref="EpisodeDatasetException">An episode is longer than the block and the policy is <see cref="LongEpisodePolicy.Error"/>.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public EpisodeDataLoader(EpisodeDataset dataset, DatasetSplit split, EpisodeLoaderOptions options, LoaderState? resumeFrom = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(dataset.IsDisposed, dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BlockSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)options.BatchSize * options.BlockSize, Array.MaxLength, nameof(options));
        if (options.WorldSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.WorldSize, $"WorldSize must be at least 1 (the number of data-parallel processes); got {options.WorldSize}.");
        }

        if (options.Rank < 0 || options.Rank >= options.WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Rank, $"Rank must be in [0, WorldSize={options.WorldSize}); got {options.Rank}. Hint: ranks are numbered 0..WorldSize-1.");
        }

        var pad = options.PadId ?? dataset.PadId;
        ArgumentOutOfRangeException.ThrowIfNegative(pad);

        this.dataset = dataset;
        Split = split;
        Options = options;
        batchSize = options.BatchSize;
        blockSize = options.BlockSize;
        rank = options.Rank;
        worldSize = options.WorldSize;
        padId = pad;
        ignoreIndex = options.IgnoreIndex;
        HasLossMask = options.UseLossMask;
        HasAdvantages = options.IncludeAdvantages && dataset.HasAdvantages;
        (samples, var statistics) = BuildSamples();
        packStarts = options.Packing ? Pack(samples) : [];
        Statistics = options.Packing ? WithRows(statistics, packStarts.Length - 1) : statistics;
        Fingerprint = string.Create(
            CultureInfo.InvariantCulture,
            $"dataset={dataset.Header.DatasetId};split={split};samples={samples.Length};B={batchSize};T={blockSize};long={options.LongEpisodes};shuffle={options.Shuffle};dropLast={options.DropLast};skipUnsupervised={options.SkipSamplesWithoutSupervisedTarget && HasLossMask}{(options.Packing ? ";packed" : string.Empty)}{(worldSize > 1 ? $";world={worldSize}" : string.Empty)}");

        Seed = options.Seed;
        if (resumeFrom is not null)
        {
            if (resumeFrom.Fingerprint is { } fingerprint && fingerprint != Fingerprint)
            {
                throw new ArgumentException(
                    $"the loader state was saved for '{fingerprint}' but this loader is '{Fingerprint}'. Hint: resume with the same dataset and loader options.",
                    nameof(resumeFrom));
            }

            if (resumeFrom.Epoch < 0 || resumeFrom.Position < 0 || resumeFrom.Position > BatchesPerEpoch)
            {
                throw new ArgumentException(
                    $"the loader state (epoch {resumeFrom.Epoch}, position {resumeFrom.Position}) is outside an epoch of {BatchesPerEpoch} batches.",
                    nameof(resumeFrom));
            }

            Seed = resumeFrom.Seed;
            Epoch = resumeFrom.Epoch;
            Position = resumeFrom.Position;
        }
    }

    /// <summary>The split this loader reads.</summary>
    public DatasetSplit Split { get; }

    /// <summary>The options the loader was built with.</summary>
    public EpisodeLoaderOptions Options { get; }

    /// <summary>Counts of samples, truncation, dropped targets and padding.</summary>
    public LoaderStatistics Statistics { get; }

    /// <summary>The seed of the order (from the options, or from the resumed state).</summary>
    public ulong Seed { get; }

    /// <summary>The current epoch.</summary>
    public long Epoch { get; private set; }

    /// <summary>Batches of <see cref="Epoch"/> already yielded.</summary>
    public long Position { get; private set; }

    /// <summary>Number of samples per epoch (rows, unless packed).</summary>
    public int SampleCount => samples.Length;

    /// <summary>Rows per epoch: <see cref="SampleCount"/>, or the packed rows with <see cref="EpisodeLoaderOptions.Packing"/>.</summary>
    public int RowsPerEpoch => Options.Packing ? packStarts.Length - 1 : samples.Length;

    /// <summary>Batches per epoch (global batches, the same on every rank): <c>floor(N / WB)</c> with DropLast, else
    /// <c>ceil(N / WB)</c>, with W the world size (1 for one process).</summary>
    public long BatchesPerEpoch => Statistics.BatchesPerEpoch;

    /// <summary>Whether batches carry the loss mask.</summary>
    public bool HasLossMask { get; }

    /// <summary>Whether batches carry advantages.</summary>
    public bool HasAdvantages { get; }

    /// <summary>Identifies the dataset and the order-shaping settings (the world size too, but not the rank); stored in
    /// <see cref="LoaderState.Fingerprint"/>.</summary>
    public string Fingerprint { get; }

    /// <summary>The state naming the next batch; at an epoch's end it names batch 0 of the next epoch.</summary>
    public LoaderState State => Position >= BatchesPerEpoch && BatchesPerEpoch > 0
        ? new LoaderState { Seed = Seed, Epoch = Epoch + 1, Position = 0, Fingerprint = Fingerprint }
        : new LoaderState { Seed = Seed, Epoch = Epoch, Position = Position, Fingerprint = Fingerprint };

    /// <summary>Creates a loader over the training split.</summary>
    /// <param name="dataset">The open dataset.</param>
    /// <param name="options">The options.</param>
    /// <param name="resumeFrom">A saved state, or null.</param>
    /// <returns>The loader.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The state belongs to another dataset or settings.</exception>
    /// <exception cref="EpisodeDatasetException">An episode is too long under <see cref="LongEpisodePolicy.Error"/>.</exception>
    public static EpisodeDataLoader CreateTrain(EpisodeDataset dataset, EpisodeLoaderOptions options, LoaderState? resumeFrom = null) =>
        new(dataset, DatasetSplit.Train, options, resumeFrom);

    /// <summary>Creates a loader over the validation split: index order (no shuffle) and a final partial batch (no drop).</summary>
    /// <param name="dataset">The open dataset.</param>
    /// <param name="options">The options; Shuffle and DropLast are turned off.</param>
    /// <returns>The loader.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="EpisodeDatasetException">An episode is too long under <see cref="LongEpisodePolicy.Error"/>.</exception>
    public static EpisodeDataLoader CreateValidation(EpisodeDataset dataset, EpisodeLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(dataset, DatasetSplit.Validation, options with { Shuffle = false, DropLast = false });
    }

    /// <summary>Allocates a batch whose buffers match this loader (B, T, mask, advantages).</summary>
    /// <returns>A new, empty batch.</returns>
    public EpisodeBatch CreateBatch() => new(batchSize, blockSize, HasLossMask, HasAdvantages, Options.Packing);

    /// <summary>Allocates a batch and fills it with the next batch (crossing into the next epoch when one ends).</summary>
    /// <returns>The batch.</returns>
    /// <exception cref="InvalidOperationException">The split yields no batch.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public EpisodeBatch NextBatch()
    {
        var batch = CreateBatch();
        NextBatch(batch);
        return batch;
    }

    /// <summary>Fills <paramref name="destination"/> with the next batch (crossing into the next epoch when one ends).</summary>
    /// <param name="destination">A batch from <see cref="CreateBatch"/>, reused across calls.</param>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not match the loader's B, T, mask or advantages.</exception>
    /// <exception cref="InvalidOperationException">The split yields no batch.</exception>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public void NextBatch(EpisodeBatch destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(dataset.IsDisposed, dataset);
        if (destination.BatchSize != batchSize || destination.BlockSize != blockSize
            || destination.HasLossMask != HasLossMask || destination.HasAdvantages != HasAdvantages || destination.IsPacked != Options.Packing)
        {
            throw new ArgumentException(
                $"batch is (B={destination.BatchSize}, T={destination.BlockSize}, mask={destination.HasLossMask}, advantages={destination.HasAdvantages}, packed={destination.IsPacked}), the loader yields (B={batchSize}, T={blockSize}, mask={HasLossMask}, advantages={HasAdvantages}, packed={Options.Packing}). Hint: allocate it with CreateBatch().",
                nameof(destination));
        }

        if (BatchesPerEpoch == 0)
        {
            throw new InvalidOperationException(
                $"{dataset.DirectoryPath}: the {Split} split has {RowsPerEpoch} {(Options.Packing ? "packed rows" : "samples")}, not enough for one batch of {batchSize}{(worldSize > 1 ? $" rows on each of {worldSize} ranks" : string.Empty)}{(Options.DropLast ? " with DropLast" : string.Empty)}. Hint: lower BatchSize, turn DropLast off, or add episodes to the split.");
        }

        if (Position >= BatchesPerEpoch)
        {
            Epoch++;
            Position = 0;
        }

        var epochOrder = OrderOf(Epoch);
        var first = (Position * batchSize * worldSize) + rank;            // this rank's first permutation entry
        var remaining = RowsPerEpoch - first;
        var rows = remaining <= 0 ? 0 : (int)Math.Min(batchSize, (remaining + worldSize - 1) / worldSize);
        destination.Rows = rows;
        destination.Epoch = Epoch;
        destination.BatchIndex = Position;
        long targets = 0, supervised = 0;
        for (var r = 0; r < rows; r++)
        {
            var unit = epochOrder[first + ((long)r * worldSize)];
            var (t, s) = Options.Packing ? FillPackedRow(destination, r, unit) : FillRow(destination, r, samples[unit]);
            targets += t;
            supervised += s;
        }

        destination.TargetCount = targets;
        destination.SupervisedTargetCount = HasLossMask ? supervised : targets;
        Position++;
    }

    /// <summary>Yields new batches for the rest of the current epoch; afterwards the loader stands at the next epoch's start.</summary>
    /// <returns>The remaining batches of the epoch (each a new object).</returns>
    /// <exception cref="ObjectDisposedException">The dataset is disposed.</exception>
    public IEnumerable<EpisodeBatch> EnumerateEpoch()
    {
        if (Position >= BatchesPerEpoch && BatchesPerEpoch > 0)
        {
            Epoch++;
            Position = 0;
        }

        while (Position < BatchesPerEpoch)
        {
            yield return NextBatch();
        }
    }

    /// <summary>The sample order of an epoch (a permutation of sample numbers), for tests and diagnostics.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <returns>A copy of the permutation.</returns>
    internal int[] OrderOfEpoch(long epoch) => (int[])OrderOf(epoch).Clone();

    /// <summary>The (episode, window start) of a sample number.</summary>
    /// <param name="sample">The sample number.</param>
    /// <returns>The episode index and window start.</returns>
    internal (int Episode, int Start) SampleAt(int sample) => (samples[sample].Episode, samples[sample].Start);

    private int[] OrderOf(long epoch)
    {
        if (orderEpoch == epoch)
        {
            return order;
        }

        if (order.Length != RowsPerEpoch)
        {
            order = new int[RowsPerEpoch];
        }

        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (Options.Shuffle)
        {
            Xoshiro256StarStar.ForEpoch(Seed, epoch).Shuffle(order.AsSpan());
        }

        orderEpoch = epoch;
        return order;
    }

    private (int Targets, int Supervised) FillRow(EpisodeBatch batch, int row, Sample sample)
    {
        var (m, supervised) = WriteSample(batch, row, 0, sample);
        PadRow(batch, row, m);
        ref readonly var entry = ref dataset.Entry(sample.Episode);
        batch.SetRowInfo(row, sample.Episode, entry.Key, sample.Start, m, HasLossMask ? supervised : m);
        return (m, supervised);
    }

    /// <summary>Fills row <paramref name="row"/> with packed row <paramref name="pack"/>: its samples one after the other,
    /// each with its own (X, Y) pairs (no target crosses into the next sample), document ids 0, 1, ... and positions
    /// restarting at 0; the padding tail is one more document.</summary>
    private (int Targets, int Supervised) FillPackedRow(EpisodeBatch batch, int row, int pack)
    {
        var docs = batch.DocumentIdsBuffer(row);
        var positions = batch.PositionIdsBuffer(row);
        int offset = 0, supervised = 0;
        var first = packStarts[pack];
        var count = packStarts[pack + 1] - first;
        for (var d = 0; d < count; d++)
        {
            var (m, s) = WriteSample(batch, row, offset, samples[first + d]);
            docs.Slice(offset, m).Fill(d);
            for (var t = 0; t < m; t++) positions[offset + t] = t;
            offset += m;
            supervised += s;
        }

        PadRow(batch, row, offset);
        docs[offset..].Fill(count);
        for (var t = offset; t < blockSize; t++) positions[t] = t - offset;
        batch.SetRowDocuments(row, count);
        var head = samples[first];
        batch.SetRowInfo(row, head.Episode, dataset.Entry(head.Episode).Key, head.Start, offset, HasLossMask ? supervised : offset);
        return (offset, supervised);
    }

    /// <summary>Next-fit packing in sample order: row starts (and the end) in the sample array.</summary>
    private int[] Pack(Sample[] all)
    {
        var starts = new List<int>();
        var room = 0;
        for (var i = 0; i < all.Length; i++)
        {
            var m = TargetsOf(all[i]);
            if (starts.Count == 0 || m > room)
            {
                starts.Add(i);
                room = blockSize;
            }

            room -= m;
        }

        starts.Add(all.Length);
        return [.. starts];
    }

    private int TargetsOf(Sample sample) => Math.Min(dataset.Entry(sample.Episode).Length - 1 - sample.Start, blockSize);

    private LoaderStatistics WithRows(LoaderStatistics statistics, long rows)
    {
        var global = (long)batchSize * worldSize;
        return statistics with
        {
            PackedRowCount = rows,
            BatchesPerEpoch = Options.DropLast ? rows / global : (rows + global - 1) / global,
        };
    }

    /// <summary>Writes a sample's m targets at positions [offset, offset + m) of a row; returns m and its supervised count.</summary>
    private (int Targets, int Supervised) WriteSample(EpisodeBatch batch, int row, int offset, Sample sample)
    {
        ref readonly var entry = ref dataset.Entry(sample.Episode);
        var m = Math.Min(entry.Length - 1 - sample.Start, blockSize - offset); // real targets of the sample, 1..T
        var start = entry.TokenOffset + sample.Start;
        var x = batch.InputsBuffer(row).Slice(offset, m);
        var y = batch.TargetsBuffer(row).Slice(offset, m);
        // X and Y are both widened from the mapping (Y from one token later); copying Y from X is ~10x slower on x64
        // (the two pinned buffers alias modulo 4 KiB, which stalls the overlapping loads and stores).
        if (dataset.TokenType == EpisodeTokenType.UInt16)
        {
            var tokens = dataset.TokensFile.Span<ushort>(start, m + 1);
            SpanConversions.Widen(tokens[..m], x);
            SpanConversions.Widen(tokens[1..], y);
        }
        else
        {
            var tokens = dataset.TokensFile.Span<uint>(start, m + 1);
            SpanConversions.Widen(tokens[..m], x);
            SpanConversions.Widen(tokens[1..], y);
        }

        var supervised = 0;
        if (HasLossMask)
        {
            var mask = dataset.MaskFile.Span<byte>(start + 1, m);
            SpanConversions.ToSingle(mask, batch.LossMaskBuffer(row).Slice(offset, m));
            supervised = mask.Count((byte)1);
        }

        if (HasAdvantages)
        {
            dataset.AdvantagesFile!.Span<float>(start + 1, m).CopyTo(batch.AdvantagesBuffer(row).Slice(offset, m));
        }

        return (m, supervised);
    }

    /// <summary>Pads positions [used, T) of a row: pad id, ignore index, mask and advantage 0.</summary>
    private void PadRow(EpisodeBatch batch, int row, int used)
    {
        batch.InputsBuffer(row)[used..].Fill(padId);
        batch.TargetsBuffer(row)[used..].Fill(ignoreIndex);
        if (HasLossMask) batch.LossMaskBuffer(row)[used..].Clear();
        if (HasAdvantages) batch.AdvantagesBuffer(row)[used..].Clear();
    }

    private (Sample[] Samples, LoaderStatistics Statistics) BuildSamples()
    {
        long upperBound = 0;
        for (var e = 0; e < dataset.EpisodeCount; e++)
        {
            ref readonly var entry = ref dataset.Entry(e);
            var targets = entry.Length - 1;
            upperBound += entry.Split != (byte)Split || targets == 0 ? 0
                : Options.LongEpisodes == LongEpisodePolicy.SplitIntoWindows ? (targets + blockSize - 1) / blockSize : 1;
        }

        if (upperBound > Array.MaxLength)
        {
            throw new InvalidOperationException($"{dataset.DirectoryPath}: the {Split} split makes {upperBound} samples, more than an array holds. Hint: raise BlockSize or split the dataset.");
        }

        var array = new Sample[upperBound];
        var count = 0;
        long episodes = 0, single = 0, longCount = 0, truncated = 0, windowed = 0, withoutSupervised = 0, skipped = 0;
        long targetsKept = 0, targetsDropped = 0, supervisedKept = 0, supervisedDropped = 0;
        var skip = Options.SkipSamplesWithoutSupervisedTarget && HasLossMask;
        var mask = dataset.MaskFile;

        void Add(int episode, long offset, int start, int targets)
        {
            var supervised = mask.Span<byte>(offset + start + 1, targets).Count((byte)1);
            if (supervised == 0)
            {
                withoutSupervised++;
                if (skip)
                {
                    skipped++;
                    targetsDropped += targets;
                    return;
                }
            }

            targetsKept += targets;
            supervisedKept += supervised;
            array[count++] = new Sample(episode, start);
        }

        for (var e = 0; e < dataset.EpisodeCount; e++)
        {
            ref readonly var entry = ref dataset.Entry(e);
            if (entry.Split != (byte)Split)
            {
                continue;
            }

            episodes++;
            var targets = entry.Length - 1;
            if (targets == 0)
            {
                single++;
                continue;
            }

            if (targets <= blockSize)
            {
                Add(e, entry.TokenOffset, 0, targets);
                continue;
            }

            longCount++;
            switch (Options.LongEpisodes)
            {
                case LongEpisodePolicy.Truncate:
                    truncated++;
                    Add(e, entry.TokenOffset, 0, blockSize);
                    targetsDropped += targets - blockSize;
                    supervisedDropped += mask.Span<byte>(entry.TokenOffset + blockSize + 1, targets - blockSize).Count((byte)1);
                    break;
                case LongEpisodePolicy.SplitIntoWindows:
                    windowed++;
                    for (var s = 0; s < targets; s += blockSize)
                    {
                        Add(e, entry.TokenOffset, s, Math.Min(blockSize, targets - s));
                    }

                    break;
                default:
                    throw new EpisodeDatasetException(new EpisodeDatasetError(
                        EpisodeDatasetErrorKind.EpisodeTooLong,
                        Path.Combine(dataset.DirectoryPath, EpisodeDatasetFormat.IndexFileName),
                        e,
                        EpisodeDatasetFormat.IndexHeaderSize + ((long)e * EpisodeDatasetFormat.IndexEntrySize),
                        entry.TokenOffset,
                        $"the episode has {entry.Length} tokens ({targets} targets), more than the block size {blockSize}, and LongEpisodes is Error.",
                        "raise BlockSize, or set LongEpisodes to Truncate or SplitIntoWindows."));
            }
        }

        if (count != array.Length)
        {
            Array.Resize(ref array, count);
        }

        var global = (long)batchSize * worldSize;                        // rows of one step over all ranks
        var batches = Options.DropLast ? count / global : (count + global - 1) / global;
        var statistics = new LoaderStatistics
        {
            Split = Split,
            EpisodeCount = episodes,
            SingleTokenEpisodesSkipped = single,
            LongEpisodeCount = longCount,
            TruncatedEpisodeCount = truncated,
            WindowedEpisodeCount = windowed,
            SampleCount = count,
            SamplesWithoutSupervisedTarget = withoutSupervised,
            SamplesSkipped = skipped,
            TargetCount = targetsKept,
            TargetsDropped = targetsDropped,
            SupervisedTargetCount = supervisedKept,
            SupervisedTargetsDropped = supervisedDropped,
            BatchesPerEpoch = batches,
            BlockSize = blockSize,
        };
        return (array, statistics);
    }

    private readonly record struct Sample(int Episode, int Start);
}
