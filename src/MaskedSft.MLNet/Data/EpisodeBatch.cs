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

    /// <summary>Allocates the buffers of a batch (pinned, so native code may read them in place).</summary>
    /// <param name="batchSize">Rows, B.</param>
    /// <param name="blockSize">Positions per row, T.</param>
    /// <param name="hasLossMask">Whether the batch carries a loss mask.</param>
    /// <param name="hasAdvantages">Whether the batch carries advantages.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or B * T exceeds <see cref="Array.MaxLength"/>.</exception>
    public EpisodeBatch(int batchSize, int blockSize, bool hasLossMask, bool hasAdvantages)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)batchSize * blockSize, Array.MaxLength, nameof(blockSize));
        BatchSize = batchSize;
        BlockSize = blockSize;
        HasLossMask = hasLossMask;
        HasAdvantages = hasAdvantages;
        var n = batchSize * blockSize;
        inputs = GC.AllocateUninitializedArray<long>(n, pinned: true);
        targets = GC.AllocateUninitializedArray<long>(n, pinned: true);
        lossMask = hasLossMask ? GC.AllocateUninitializedArray<float>(n, pinned: true) : [];
        advantages = hasAdvantages ? GC.AllocateUninitializedArray<float>(n, pinned: true) : [];
        episodeIndices = new int[batchSize];
        episodeKeys = new ulong[batchSize];
        windowStarts = new int[batchSize];
        rowTargetCounts = new int[batchSize];
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

    /// <summary>The episode index of each row.</summary>
    public ReadOnlySpan<int> EpisodeIndices => episodeIndices.AsSpan(0, Rows); // (Rows,)

    /// <summary>The episode key of each row.</summary>
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

    internal Span<long> InputsBuffer(int row) => inputs.AsSpan(row * BlockSize, BlockSize);

    internal Span<long> TargetsBuffer(int row) => targets.AsSpan(row * BlockSize, BlockSize);

    internal Span<float> LossMaskBuffer(int row) => lossMask.AsSpan(row * BlockSize, BlockSize);

    internal Span<float> AdvantagesBuffer(int row) => advantages.AsSpan(row * BlockSize, BlockSize);

    internal void SetRow(int row, int episode, ulong key, int windowStart, int targetCount)
    {
        episodeIndices[row] = episode;
        episodeKeys[row] = key;
        windowStarts[row] = windowStart;
        rowTargetCounts[row] = targetCount;
    }

    private int CheckRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return row;
    }
}
