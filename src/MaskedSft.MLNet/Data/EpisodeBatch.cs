// One loader batch in pinned, contiguous buffers: inputs X and targets Y (int64), loss mask and advantages (float32), row metadata.
namespace MaskedSft.MLNet.Data;

/// <summary>
/// A batch of <see cref="Rows"/> rows of <see cref="BlockSize"/> positions, row-major in contiguous pinned arrays, filled by
/// <see cref="EpisodeDataLoader.NextBatch(EpisodeBatch)"/> without any tensor. For a row taken from an episode window starting at
/// absolute token <c>s</c> with <c>m</c> targets: <c>X[t] = tokens[s+t]</c>, <c>Y[t] = tokens[s+t+1]</c>,
/// <c>LossMask[t] = mask[s+t+1]</c>, <c>Advantages[t] = adv[s+t+1]</c> for <c>t &lt; m</c>; for <c>t &gt;= m</c> X holds the pad
/// id, Y the ignore index, the mask and advantage 0. A batch object is reused: its spans change with each fill.
/// </summary>
public sealed class EpisodeBatch
{
    private readonly long[] inputs;
    private readonly long[] targets;
    private readonly float[] lossMask;
    private readonly float[] advantages;
    private readonly int[] episodeIndices;
    private readonly ulong[] episodeKeys;
    private readonly int[] windowStarts;
    private readonly int[] rowTargetCounts;
    private readonly int[] rowSupervisedCounts;
    private readonly long[] documentIds;
    private readonly long[] positionIds;
    private readonly int[] rowDocumentCounts;

    /// <summary>Allocates the buffers of a batch (pinned, so native code may read them in place).</summary>
    /// <param name="batchSize">Rows, B.</param>
    /// <param name="blockSize">Positions per row, T.</param>
    /// <param name="hasLossMask">Whether the batch carries a loss mask.</param>
    /// <param name="hasAdvantages">Whether the batch carries advantages.</param>
    /// <param name="isPacked">Whether rows hold several samples (document ids and positions per position).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or B * T exceeds <see cref="Array.MaxLength"/>.</exception>
    public EpisodeBatch(int batchSize, int blockSize, bool hasLossMask, bool hasAdvantages, bool isPacked = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)batchSize * blockSize, Array.MaxLength, nameof(blockSize));
        BatchSize = batchSize;
        BlockSize = blockSize;
        HasLossMask = hasLossMask;
        HasAdvantages = hasAdvantages;
        IsPacked = isPacked;
        var n = batchSize * blockSize;
        inputs = GC.AllocateUninitializedArray<long>(n, pinned: true);
        targets = GC.AllocateUninitializedArray<long>(n, pinned: true);
        lossMask = hasLossMask ? GC.AllocateUninitializedArray<float>(n, pinned: true) : [];
        advantages = hasAdvantages ? GC.AllocateUninitializedArray<float>(n, pinned: true) : [];
        episodeIndices = new int[batchSize];
        episodeKeys = new ulong[batchSize];
        windowStarts = new int[batchSize];
        rowTargetCounts = new int[batchSize];
        rowSupervisedCounts = new int[batchSize];
        documentIds = isPacked ? GC.AllocateUninitializedArray<long>(n, pinned: true) : [];
        positionIds = isPacked ? GC.AllocateUninitializedArray<long>(n, pinned: true) : [];
        rowDocumentCounts = new int[batchSize];
        Array.Fill(rowDocumentCounts, 1);
    }

    /// <summary>Capacity in rows, B.</summary>
    public int BatchSize { get; }

    /// <summary>Positions per row, T.</summary>
    public int BlockSize { get; }

    /// <summary>Rows filled (B, or fewer for an epoch's last batch when DropLast is off).</summary>
    public int Rows { get; internal set; }

    /// <summary>Whether <see cref="LossMask"/> is carried (false in no-loss-mask mode: the batch is (X, Y) only).</summary>
    public bool HasLossMask { get; }

    /// <summary>Whether <see cref="Advantages"/> is carried.</summary>
    public bool HasAdvantages { get; }

    /// <summary>Whether rows are packed: several samples per row, told apart by <see cref="DocumentIds"/>.</summary>
    public bool IsPacked { get; }

    /// <summary>The epoch the batch belongs to.</summary>
    public long Epoch { get; internal set; }

    /// <summary>The batch's index within its epoch.</summary>
    public long BatchIndex { get; internal set; }

    /// <summary>Number of real (non-padding) targets in the batch.</summary>
    public long TargetCount { get; internal set; }

    /// <summary>Number of targets with mask 1 (equals <see cref="TargetCount"/> without a loss mask): the loss denominator.</summary>
    public long SupervisedTargetCount { get; internal set; }

    /// <summary>The shape of every per-position buffer: (Rows, T).</summary>
    public long[] Shape => [Rows, BlockSize];

    /// <summary>Inputs X, row-major. </summary>
    public ReadOnlySpan<long> Inputs => inputs.AsSpan(0, Rows * BlockSize); // (Rows, T)

    /// <summary>Targets Y = inputs shifted by one; padded positions hold the ignore index.</summary>
    public ReadOnlySpan<long> Targets => targets.AsSpan(0, Rows * BlockSize); // (Rows, T)

    /// <summary>Loss mask aligned with Y (1 = train on this target); empty without a loss mask.</summary>
    public ReadOnlySpan<float> LossMask => lossMask.AsSpan(0, HasLossMask ? Rows * BlockSize : 0); // (Rows, T)

    /// <summary>Advantages aligned with Y; empty without advantages.</summary>
    public ReadOnlySpan<float> Advantages => advantages.AsSpan(0, HasAdvantages ? Rows * BlockSize : 0); // (Rows, T)

    /// <summary>Packed rows: the document of each position, 0, 1, ... in row order, and one more id for the row's padding
    /// tail; a token attends only to earlier tokens of its own document. Empty when not packed.</summary>
    public ReadOnlySpan<long> DocumentIds => documentIds.AsSpan(0, IsPacked ? Rows * BlockSize : 0); // (Rows, T)

    /// <summary>Packed rows: each position's index within its document (0 at every document start, and from 0 again over the
    /// padding tail). Empty when not packed.</summary>
    public ReadOnlySpan<long> PositionIds => positionIds.AsSpan(0, IsPacked ? Rows * BlockSize : 0); // (Rows, T)

    /// <summary>The number of samples (documents, padding excluded) in each row: 1 when not packed.</summary>
    public ReadOnlySpan<int> RowDocumentCounts => rowDocumentCounts.AsSpan(0, Rows); // (Rows,)

    /// <summary>The episode index of each row (of a packed row's first sample).</summary>
    public ReadOnlySpan<int> EpisodeIndices => episodeIndices.AsSpan(0, Rows); // (Rows,)

    /// <summary>The episode key of each row (of a packed row's first sample).</summary>
    public ReadOnlySpan<ulong> EpisodeKeys => episodeKeys.AsSpan(0, Rows); // (Rows,)

    /// <summary>The token offset within its episode where each row's window starts (0 unless windows are used).</summary>
    public ReadOnlySpan<int> WindowStarts => windowStarts.AsSpan(0, Rows); // (Rows,)

    /// <summary>The number of real targets of each row (the rest is padding).</summary>
    public ReadOnlySpan<int> RowTargetCounts => rowTargetCounts.AsSpan(0, Rows); // (Rows,)

    /// <summary>The inputs of one row.</summary>
    /// <param name="row">The row, in <c>[0, Rows)</c>.</param>
    /// <returns>T inputs.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public ReadOnlySpan<long> InputRow(int row) => Inputs.Slice(CheckRow(row) * BlockSize, BlockSize);

    /// <summary>The targets of one row.</summary>
    /// <param name="row">The row, in <c>[0, Rows)</c>.</param>
    /// <returns>T targets.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public ReadOnlySpan<long> TargetRow(int row) => Targets.Slice(CheckRow(row) * BlockSize, BlockSize);

    /// <summary>The loss mask of one row (empty without a loss mask).</summary>
    /// <param name="row">The row, in <c>[0, Rows)</c>.</param>
    /// <returns>T mask values.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public ReadOnlySpan<float> LossMaskRow(int row) => HasLossMask ? LossMask.Slice(CheckRow(row) * BlockSize, BlockSize) : [];

    /// <summary>The advantages of one row (empty without advantages).</summary>
    /// <param name="row">The row, in <c>[0, Rows)</c>.</param>
    /// <returns>T advantages.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public ReadOnlySpan<float> AdvantageRow(int row) => HasAdvantages ? Advantages.Slice(CheckRow(row) * BlockSize, BlockSize) : [];

    /// <summary>Starts filling the batch from a source other than the loader (a generator, a rollout buffer, a test):
    /// <paramref name="rows"/> rows that <see cref="SetRow"/> then writes; counts, epoch and batch index start afresh.</summary>
    /// <param name="rows">Rows to fill, in [1, <see cref="BatchSize"/>].</param>
    /// <param name="epoch">The epoch to report.</param>
    /// <param name="batchIndex">The batch index to report.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is outside [1, BatchSize].</exception>
    public void Reset(int rows, long epoch = 0, long batchIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, BatchSize);
        Rows = rows;
        Epoch = epoch;
        BatchIndex = batchIndex;
        Array.Clear(rowTargetCounts);
        Array.Clear(rowSupervisedCounts);
        Array.Fill(rowDocumentCounts, 1);
        TargetCount = 0;
        SupervisedTargetCount = 0;
    }

    /// <summary>Writes one row (after <see cref="Reset"/>), aligned as the loader's: <c>targets[t]</c> is the token after
    /// <c>inputs[t]</c>, the mask and advantages refer to the targets; positions from <paramref name="realTargets"/> on are
    /// padding (their targets should be the ignore index and their mask 0).</summary>
    /// <param name="row">The row, in [0, <see cref="Rows"/>).</param>
    /// <param name="inputs">T input ids.</param>
    /// <param name="targets">T targets.</param>
    /// <param name="lossMask">T mask values when the batch carries a loss mask; empty otherwise.</param>
    /// <param name="advantages">T advantages when the batch carries advantages; empty otherwise.</param>
    /// <param name="realTargets">How many leading positions are real targets, in [0, T].</param>
    /// <param name="episodeIndex">The row's episode index (-1 when it has none).</param>
    /// <param name="episodeKey">The row's episode key.</param>
    /// <param name="windowStart">The row's window start in its episode.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> or <paramref name="realTargets"/> is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length does not match T (or the mask/advantages presence of the batch).</exception>
    public void SetRow(int row, ReadOnlySpan<long> inputs, ReadOnlySpan<long> targets, ReadOnlySpan<float> lossMask, ReadOnlySpan<float> advantages,
        int realTargets, int episodeIndex = -1, ulong episodeKey = 0, int windowStart = 0)
    {
        CheckRow(row);
        ArgumentOutOfRangeException.ThrowIfNegative(realTargets);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(realTargets, BlockSize);
        CheckLength(inputs.Length, BlockSize, nameof(inputs));
        CheckLength(targets.Length, BlockSize, nameof(targets));
        CheckLength(lossMask.Length, HasLossMask ? BlockSize : 0, nameof(lossMask));
        CheckLength(advantages.Length, HasAdvantages ? BlockSize : 0, nameof(advantages));
        inputs.CopyTo(InputsBuffer(row));
        targets.CopyTo(TargetsBuffer(row));
        if (HasLossMask) lossMask.CopyTo(LossMaskBuffer(row));
        if (HasAdvantages) advantages.CopyTo(AdvantagesBuffer(row));
        var supervised = realTargets;
        if (HasLossMask)
        {
            supervised = 0;
            foreach (var m in lossMask[..realTargets]) if (m != 0) supervised++;
        }

        if (IsPacked) WriteSingleDocument(row, realTargets);
        TargetCount += realTargets - rowTargetCounts[row];
        SupervisedTargetCount += supervised - rowSupervisedCounts[row];
        SetRowInfo(row, episodeIndex, episodeKey, windowStart, realTargets, supervised);
    }

    internal Span<long> InputsBuffer(int row) => inputs.AsSpan(row * BlockSize, BlockSize);

    internal Span<long> TargetsBuffer(int row) => targets.AsSpan(row * BlockSize, BlockSize);

    internal Span<float> LossMaskBuffer(int row) => lossMask.AsSpan(row * BlockSize, BlockSize);

    internal Span<float> AdvantagesBuffer(int row) => advantages.AsSpan(row * BlockSize, BlockSize);

    internal Span<long> DocumentIdsBuffer(int row) => documentIds.AsSpan(row * BlockSize, BlockSize);

    internal Span<long> PositionIdsBuffer(int row) => positionIds.AsSpan(row * BlockSize, BlockSize);

    internal void SetRowDocuments(int row, int documents) => rowDocumentCounts[row] = documents;

    internal void SetRowInfo(int row, int episode, ulong key, int windowStart, int targetCount, int supervisedCount)
    {
        episodeIndices[row] = episode;
        episodeKeys[row] = key;
        windowStarts[row] = windowStart;
        rowTargetCounts[row] = targetCount;
        rowSupervisedCounts[row] = supervisedCount;
    }

    /// <summary>Marks a packed row as one document of <paramref name="length"/> positions followed by padding.</summary>
    internal void WriteSingleDocument(int row, int length)
    {
        var docs = DocumentIdsBuffer(row);
        var positions = PositionIdsBuffer(row);
        docs[..length].Fill(0);
        docs[length..].Fill(length > 0 ? 1 : 0);
        for (var t = 0; t < BlockSize; t++) positions[t] = t < length ? t : t - length;
        rowDocumentCounts[row] = length > 0 ? 1 : 0;
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} values; this batch expects {expected} (T = positions per row, 0 when the batch does not carry it).", name);
    }

    private int CheckRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return row;
    }
}
