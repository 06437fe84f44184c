// Everything a HardExampleTracker needs to resume exactly after a checkpoint: options, entries, totals and interval state.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>The checkpointed state of a <see cref="HardExampleTracker"/>; see <see cref="HardExampleTracker.SaveState"/>.</summary>
public sealed record HardExampleTrackerState
{
    /// <summary>The version of this layout; <see cref="HardExampleTracker.Restore"/> rejects others.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The layout version this library writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The tracker's options.</summary>
    public required HardExampleTrackerOptions Options { get; init; }

    /// <summary>The buffer, sorted by loss descending.</summary>
    public required IReadOnlyList<HardExampleEntry> Entries { get; init; }

    /// <summary>Samples seen since the start.</summary>
    public long TotalSamplesSeen { get; init; }

    /// <summary>Samples admitted since the start.</summary>
    public long TotalAdmitted { get; init; }

    /// <summary>Finite losses of the current interval.</summary>
    public long IntervalCount { get; init; }

    /// <summary>Non-finite losses of the current interval.</summary>
    public long IntervalNonFiniteCount { get; init; }

    /// <summary>Largest finite loss of the current interval (NaN when none).</summary>
    public double IntervalMax { get; init; } = double.NaN;

    /// <summary>The interval's losses, ascending, while the quantile is exact; null in the bounded phase.</summary>
    public float[]? IntervalSortedLosses { get; init; }

    /// <summary>P² marker heights in the bounded phase; null while exact.</summary>
    public double[]? EstimatorHeights { get; init; }

    /// <summary>P² marker positions in the bounded phase; null while exact.</summary>
    public double[]? EstimatorPositions { get; init; }

    /// <summary>P² desired marker positions in the bounded phase; null while exact.</summary>
    public double[]? EstimatorDesiredPositions { get; init; }
}
