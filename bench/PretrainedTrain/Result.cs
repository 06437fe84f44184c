// One side's measurement of one mode: step times, tokens per step, peak CUDA memory.
namespace MaskedSft.Bench.PretrainedTrain;

/// <summary>Step times (ms, after warmup), tokens per step and the peak CUDA bytes (null on the CPU).</summary>
internal sealed record Result(List<double> TimesMs, long TokensPerStep, long? PeakBytes)
{
    /// <summary>Tokens per second of the fastest step.</summary>
    public double TokensPerSecond => TokensPerStep / (TimesMs.Min() / 1000.0);
}
