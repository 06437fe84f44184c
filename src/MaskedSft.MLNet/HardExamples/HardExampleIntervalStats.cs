// What HardExampleTracker.UpdateLosses reports: the interval's statistics after the step's losses.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>Statistics of the current interval after <see cref="HardExampleTracker.UpdateLosses"/>.</summary>
/// <param name="Step">The step just added.</param>
/// <param name="SampleCount">Finite losses seen in the interval.</param>
/// <param name="NonFiniteCount">NaN or infinite losses seen in the interval (never admitted).</param>
/// <param name="MaxLoss">Largest finite loss of the interval (NaN when none).</param>
/// <param name="Threshold">The high-loss quantile of the interval: samples at or above it are admitted (NaN when none).</param>
/// <param name="ThresholdIsExact">False once the interval outgrew the exact-quantile limit and the P² estimate is used.</param>
public sealed record HardExampleIntervalStats(long Step, long SampleCount, long NonFiniteCount, double MaxLoss, double Threshold, bool ThresholdIsExact);
