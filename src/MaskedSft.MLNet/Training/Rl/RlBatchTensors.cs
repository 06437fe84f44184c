// An RlBatch copied into libtorch tensors on a device: ids (int64), mask/advantages/log-probs (float32), per-row vectors.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// The tensors of one <see cref="RlBatch"/> on one device. Per-position tensors have shape (B, T), per-row tensors (B).
/// The tensors join the <see cref="DisposeScope"/> open at creation, or are freed by <see cref="Dispose"/>.
/// </summary>
public sealed class RlBatchTensors : IDisposable
{
    private RlBatchTensors(Tensor inputIds, Tensor targetIds, Tensor lossMask, Tensor advantages, Tensor? oldLogProbs,
        Tensor? referenceLogProbs, Tensor temperatures, Tensor truncated)
    {
        InputIds = inputIds;
        TargetIds = targetIds;
        LossMask = lossMask;
        Advantages = advantages;
        OldLogProbs = oldLogProbs;
        ReferenceLogProbs = referenceLogProbs;
        Temperatures = temperatures;
        Truncated = truncated;
    }

    /// <summary>Input ids, int64.</summary>
    public Tensor InputIds { get; } // (B, T)

    /// <summary>Target ids, int64 (<see cref="RlBatch.IgnoreIndex"/> at padding).</summary>
    public Tensor TargetIds { get; } // (B, T)

    /// <summary>Loss mask, float32.</summary>
    public Tensor LossMask { get; } // (B, T)

    /// <summary>Token-level advantages, float32.</summary>
    public Tensor Advantages { get; } // (B, T)

    /// <summary>Old / inference log-probs, float32, or null.</summary>
    public Tensor? OldLogProbs { get; } // (B, T)

    /// <summary>Reference log-probs, float32, or null.</summary>
    public Tensor? ReferenceLogProbs { get; } // (B, T)

    /// <summary>Sampling temperature per row, float32.</summary>
    public Tensor Temperatures { get; } // (B)

    /// <summary>Truncation flag per row as float32 (1 = truncated).</summary>
    public Tensor Truncated { get; } // (B)

    /// <summary>Copies a batch into tensors on <paramref name="device"/>.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="device">Where to create the tensors.</param>
    /// <returns>The tensors (in the current dispose scope).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    public static RlBatchTensors From(RlBatch batch, Device device)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ReadOnlySpan<long> shape = [batch.Rows, batch.Length];
        ReadOnlySpan<long> rows = [batch.Rows];
        var truncated = new float[batch.Rows];
        for (var r = 0; r < batch.Rows; r++) truncated[r] = batch.Truncated[r] ? 1f : 0f;
        return new RlBatchTensors(
            Tensor.FromSpan<long>(batch.InputIds, shape, device),
            Tensor.FromSpan<long>(batch.TargetIds, shape, device),
            Tensor.FromSpan<float>(batch.LossMask, shape, device),
            Tensor.FromSpan<float>(batch.Advantages, shape, device),
            batch.OldLogProbs is { } old ? Tensor.FromSpan<float>(old, shape, device) : null,
            batch.ReferenceLogProbs is { } reference ? Tensor.FromSpan<float>(reference, shape, device) : null,
            Tensor.FromSpan<float>(batch.Temperatures, rows, device),
            Tensor.FromSpan<float>(truncated, rows, device));
    }

    /// <summary>Frees the tensors now.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TargetIds.Dispose();
        LossMask.Dispose();
        Advantages.Dispose();
        OldLogProbs?.Dispose();
        ReferenceLogProbs?.Dispose();
        Temperatures.Dispose();
        Truncated.Dispose();
    }
}
