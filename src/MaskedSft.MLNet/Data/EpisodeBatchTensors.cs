// An EpisodeBatch copied into libtorch tensors on a device: X, Y (int64), and the loss mask and advantages (float32) when present.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Data;

/// <summary>
/// The tensors of one batch, all of shape (Rows, T) on one device: (X, Y) in no-loss-mask mode, (X, Y, mask) with a loss
/// mask, plus advantages when the batch carries them. Created by <see cref="EpisodeBatch.ToTensors"/>; like every tensor
/// they belong to the <see cref="DisposeScope"/> open at creation, or are freed by <see cref="Dispose"/>.
/// </summary>
public sealed class EpisodeBatchTensors : IDisposable
{
    internal EpisodeBatchTensors(Tensor inputs, Tensor targets, Tensor? lossMask, Tensor? advantages)
    {
        Inputs = inputs;
        Targets = targets;
        LossMask = lossMask;
        Advantages = advantages;
    }

    /// <summary>Inputs X, int64.</summary>
    public Tensor Inputs { get; } // (B, T)

    /// <summary>Targets Y (X shifted by one, ignore index at padding), int64.</summary>
    public Tensor Targets { get; } // (B, T)

    /// <summary>The loss mask aligned with Y, float32; null in no-loss-mask mode.</summary>
    public Tensor? LossMask { get; } // (B, T)

    /// <summary>The advantages aligned with Y, float32; null when the batch has none.</summary>
    public Tensor? Advantages { get; } // (B, T)

    /// <summary>Number of tensors: 2 for (X, Y), 3 with the loss mask, 4 with advantages too.</summary>
    public int Count => 2 + (LossMask is null ? 0 : 1) + (Advantages is null ? 0 : 1);

    /// <summary>The tensors in the order X, Y, mask, advantages (absent ones left out).</summary>
    public IReadOnlyList<Tensor> All =>
        new[] { Inputs, Targets, LossMask, Advantages }.OfType<Tensor>().ToArray();

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
    }
}
