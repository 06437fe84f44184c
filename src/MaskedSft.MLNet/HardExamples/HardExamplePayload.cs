// The serializable snapshot of a tracker (or of a merge of several processes' trackers) for logging.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>A snapshot for logging: the entries (sorted by loss, descending) and the interval's statistics.</summary>
public sealed record HardExamplePayload
{
    /// <summary>The step at which the snapshot was taken.</summary>
    public required long Step { get; init; }

    /// <summary>The process that produced it, or -1 for a merge of several processes.</summary>
    public required int ProcessIndex { get; init; }

    /// <summary>Number of processes that contributed (1 for a single tracker).</summary>
    public int ProcessCount { get; init; } = 1;

    /// <summary>Entries sorted by loss descending, then key (ordinal).</summary>
    public required IReadOnlyList<HardExampleEntry> Entries { get; init; }

    /// <summary>
    /// The admission threshold of the interval. For a merge: the mean of the processes' thresholds weighted by their
    /// interval sample counts (an approximation of the global quantile); NaN when no process saw a finite loss.
    /// </summary>
    public required double Threshold { get; init; }

    /// <summary>Finite losses seen in the interval (summed over processes for a merge).</summary>
    public required long IntervalSampleCount { get; init; }

    /// <summary>Largest finite loss of the interval (NaN when none).</summary>
    public required double IntervalMaxLoss { get; init; }

    /// <summary>Non-finite losses seen in the interval.</summary>
    public long IntervalNonFiniteCount { get; init; }

    /// <summary>Samples seen since the tracker started, including non-finite ones.</summary>
    public long TotalSamplesSeen { get; init; }

    /// <summary>Samples admitted (at or above the threshold) since the tracker started.</summary>
    public long TotalAdmitted { get; init; }
}
