// The metrics of a step whose values still sit on the device: TrainingEngine.RunStepDeferred returns them without a host
// synchronization, so the host can queue the next step while the GPU finishes this one; Read() takes the one host read.
using System.Diagnostics;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// A step's metrics not yet read from the device (<see cref="TrainingEngine{TBatch}.RunStepDeferred"/>). Read them on
/// the steps that log (<see cref="Read"/>: one host read, which waits for the step's kernels); dispose the rest. Reading
/// is optional: disposing an unread instance frees its device tensor and synchronizes nothing.
/// </summary>
public sealed class PendingStepMetrics : IDisposable
{
    private readonly Tensor _values;   // (5) float64 on the step's device: loss, hits, max row loss, grad norm, param norm
    private readonly long _startTimestamp;   // Stopwatch timestamp of the step's start
    private StepMetrics? _read;
    private bool _disposed;

    internal PendingStepMetrics(long step, Tensor values, double learningRate, long positions, long supervised, long startTimestamp)
    {
        Step = step;
        _values = values;
        LearningRate = learningRate;
        Positions = positions;
        SupervisedTokens = supervised;
        _startTimestamp = startTimestamp;
    }

    /// <summary>1-based index of the optimizer step.</summary>
    public long Step { get; }

    /// <summary>The learning rate the step used.</summary>
    public double LearningRate { get; }

    /// <summary>Input tokens (B x T over the micro-batches) of the step.</summary>
    public long Positions { get; }

    /// <summary>Supervised targets of the step.</summary>
    public long SupervisedTokens { get; }

    /// <summary>Whether <see cref="Read"/> has run (the values are on the host).</summary>
    public bool IsRead => _read is not null;

    /// <summary>Reads the step's values with one host read (later calls return the same metrics without another).
    /// <see cref="StepMetrics.TokensPerSecond"/> is over the time from the step's start to the end of this read: the
    /// step's wall time when read at once (<see cref="TrainingEngine{TBatch}.RunStep"/>); read later, it also counts what
    /// the host did in between, so measure throughput over many deferred steps instead.</summary>
    /// <returns>The step's metrics, as <see cref="TrainingEngine{TBatch}.RunStep"/> returns them.</returns>
    /// <exception cref="ObjectDisposedException">The instance was disposed before it was read.</exception>
    public StepMetrics Read()
    {
        if (_read is not null) return _read;
        ObjectDisposedException.ThrowIf(_disposed, this);
        var values = _values.ToArray<double>();                                                     // the step's one host read
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds, 1e-9);
        _read = new StepMetrics(Step, values[0], values[3], values[4], SupervisedTokens > 0 ? values[1] / SupervisedTokens : 0.0,
            values[2], LearningRate, Positions / seconds, SupervisedTokens);
        Dispose();
        return _read;
    }

    /// <summary>Frees the device tensor of the values (reading is no longer possible unless it already happened).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _values.Dispose();
    }
}
