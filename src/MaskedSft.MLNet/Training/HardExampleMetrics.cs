// The hard-example section of a metrics line: buffer size, admission threshold, top loss, samples seen and admitted.
namespace MaskedSft.MLNet.Training;

/// <summary>The state of the run's hard-example tracker after a step (the <c>hard_examples</c> object of metrics.jsonl).</summary>
/// <param name="BufferSize">Entries in the top-K buffer.</param>
/// <param name="Threshold">The current interval's admission threshold (its high-loss quantile); NaN before its first loss.</param>
/// <param name="TopLoss">The highest loss in the buffer; NaN when the buffer is empty.</param>
/// <param name="SamplesSeen">Samples (rows with supervised targets) offered to the tracker since the run started.</param>
/// <param name="Admitted">Samples at or above the threshold since the run started.</param>
public sealed record HardExampleMetrics(int BufferSize, double Threshold, double TopLoss, long SamplesSeen, long Admitted);
