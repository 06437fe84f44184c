// Options of HardExampleTracker: capacity K, high-loss quantile, log interval, exact-quantile limit, process identity.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>Options of a <see cref="HardExampleTracker"/>.</summary>
public sealed record HardExampleTrackerOptions
{
    /// <summary>Maximum number of entries kept (K). Default 50.</summary>
    public int Capacity { get; init; } = 50;

    /// <summary>
    /// Quantile of the current interval's losses above which a sample is admitted as a candidate (e.g. 0.9 admits roughly the
    /// hardest 10%). In [0, 1]. Default 0.9.
    /// </summary>
    public double HighLossQuantile { get; init; } = 0.9;

    /// <summary>Steps per logging interval: <see cref="HardExampleTracker.IsLogStep"/> is true every this many steps. Default 50.</summary>
    public int LogInterval { get; init; } = 50;

    /// <summary>
    /// Finite losses per interval up to which the quantile is exact; past it a constant-memory P² estimate is used.
    /// Default 8192.
    /// </summary>
    public int ExactQuantileLimit { get; init; } = 8192;

    /// <summary>This process's index among <see cref="ProcessCount"/> (recorded in every entry). Default 0.</summary>
    public int ProcessIndex { get; init; }

    /// <summary>Number of training processes. Default 1.</summary>
    public int ProcessCount { get; init; } = 1;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a field is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Capacity, nameof(Capacity));
        if (!(HighLossQuantile >= 0 && HighLossQuantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(HighLossQuantile), HighLossQuantile, "the high-loss quantile must be in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LogInterval, nameof(LogInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(ExactQuantileLimit, 5, nameof(ExactQuantileLimit));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ProcessCount, nameof(ProcessCount));
        ArgumentOutOfRangeException.ThrowIfNegative(ProcessIndex, nameof(ProcessIndex));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(ProcessIndex, ProcessCount, nameof(ProcessIndex));
    }
}
