// An EpisodeBatch copied into libtorch tensors on a device: X, Y (int64), and the loss mask and advantages (float32) when present.
using MaskedSft.MLNet.Data;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// The tensors of one <see cref="EpisodeBatch"/>, all of shape (Rows, T) on one device: (X, Y) in no-loss-mask mode,
/// (X, Y, mask) with a loss mask, plus advantages when the batch carries them, plus document ids and positions when it is
/// packed. The data layer knows nothing of tensors;
/// this is where a batch crosses into libtorch. Like every tensor they belong to the <see cref="DisposeScope"/> open at
/// creation, or are freed by <see cref="Dispose"/>.
/// </summary>
public sealed class BatchTensors : IDisposable
{
    private BatchTensors(Tensor inputs, Tensor targets, Tensor? lossMask, Tensor? advantages, Tensor? documentIds = null, Tensor? positionIds = null)
    {
        Inputs = inputs;
        Targets = targets;
        LossMask = lossMask;
        Advantages = advantages;
        DocumentIds = documentIds;
        PositionIds = positionIds;
    }

    /// <summary>Inputs X, int64.</summary>
    public Tensor Inputs { get; } // (B, T)

    /// <summary>Targets Y (X shifted by one, ignore index at padding), int64.</summary>
    public Tensor Targets { get; } // (B, T)

    /// <summary>The loss mask aligned with Y, float32; null in no-loss-mask mode.</summary>
    public Tensor? LossMask { get; } // (B, T)

    /// <summary>The advantages aligned with Y, float32; null when the batch has none.</summary>
    public Tensor? Advantages { get; } // (B, T)

    /// <summary>Packed batches: the document of each position, int64; null when the batch is not packed.</summary>
    public Tensor? DocumentIds { get; } // (B, T)

    /// <summary>Packed batches: each position's index within its document, int64; null when the batch is not packed.</summary>
    public Tensor? PositionIds { get; } // (B, T)

    /// <summary>Number of tensors: 2 for (X, Y), 3 with the loss mask, 4 with advantages too.</summary>
    public int Count => 2 + (LossMask is null ? 0 : 1) + (Advantages is null ? 0 : 1);

    /// <summary>The tensors in the order X, Y, mask, advantages (absent ones left out).</summary>
    public IReadOnlyList<Tensor> All =>
        new[] { Inputs, Targets, LossMask, Advantages }.OfType<Tensor>().ToArray();

    /// <summary>
    /// Copies a batch into tensors of shape (Rows, T) on <paramref name="device"/>: X and Y as int64, the loss mask and the
    /// advantages as float32 when the batch carries them. The tensors join the current <see cref="DisposeScope"/>.
    /// </summary>
    /// <param name="batch">A filled batch.</param>
    /// <param name="device">Where to create the tensors.</param>
    /// <returns>(X, Y) in no-loss-mask mode, else (X, Y, mask), plus advantages when present, plus document ids and
    /// positions when the batch is packed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The batch has not been filled yet (no rows).</exception>
    /// <exception cref="TorchException">The device is not available (for example CUDA without a GPU).</exception>
    public static BatchTensors From(EpisodeBatch batch, Device device)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Rows == 0)
        {
            throw new InvalidOperationException("the batch is empty. Hint: fill it with EpisodeDataLoader.NextBatch(batch) first.");
        }

        ReadOnlySpan<long> shape = [batch.Rows, batch.BlockSize];
        Tensor? x = null, y = null, mask = null, adv = null, docs = null;
        try
        {
            x = Tensor.FromSpan(batch.Inputs, shape, device);
            y = Tensor.FromSpan(batch.Targets, shape, device);
            mask = batch.HasLossMask ? Tensor.FromSpan(batch.LossMask, shape, device) : null;
            adv = batch.HasAdvantages ? Tensor.FromSpan(batch.Advantages, shape, device) : null;
            docs = batch.IsPacked ? Tensor.FromSpan(batch.DocumentIds, shape, device) : null;
            var positions = batch.IsPacked ? Tensor.FromSpan(batch.PositionIds, shape, device) : null;
            return new BatchTensors(x, y, mask, adv, docs, positions);
        }
        catch
        {
            x?.Dispose();
            y?.Dispose();
            mask?.Dispose();
            adv?.Dispose();
            docs?.Dispose();
            throw;
        }
    }

    /// <summary>Deconstructs into (X, Y), the no-loss-mask form.</summary>
    /// <param name="inputs">X.</param>
    /// <param name="targets">Y.</param>
    public void Deconstruct(out Tensor inputs, out Tensor targets)
    {
        inputs = Inputs;
        targets = Targets;
    }

    /// <summary>Deconstructs into (X, Y, mask).</summary>
    /// <param name="inputs">X.</param>
    /// <param name="targets">Y.</param>
    /// <param name="lossMask">The loss mask, or null in no-loss-mask mode.</param>
    public void Deconstruct(out Tensor inputs, out Tensor targets, out Tensor? lossMask)
    {
        inputs = Inputs;
        targets = Targets;
        lossMask = LossMask;
    }

    /// <summary>Frees the tensors now (they are also freed by their dispose scope).</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        LossMask?.Dispose();
        Advantages?.Dispose();
        DocumentIds?.Dispose();
        PositionIds?.Dispose();
    }
}
