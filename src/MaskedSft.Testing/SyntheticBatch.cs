// The seeded synthetic batch of the loss-mask checks: random inputs and targets, mask on the second half of each row.
using MaskedSft.Torch;

using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>Inputs (B, T), targets (B, T) and a mask (B, T) that trains positions T/2..T-1 of every row.</summary>
internal sealed class SyntheticBatch
{
    private readonly int _vocab;
    private readonly ulong _seed;

    private SyntheticBatch(Tensor inputs, Tensor targets, Tensor mask, int vocab, ulong seed, long maskedCount)
    {
        Inputs = inputs;
        Targets = targets;
        Mask = mask;
        _vocab = vocab;
        _seed = seed;
        MaskedCount = maskedCount;
    }

    public Tensor Inputs { get; }      // (B, T) int64

    public Tensor Targets { get; }     // (B, T) int64

    public Tensor Mask { get; }        // (B, T) float32

    public long MaskedCount { get; }

    /// <summary>The batch for a model: drawn on the CPU (same values everywhere), placed on the model's device.</summary>
    public static SyntheticBatch Create(ILogitsModel model, LossMaskCheckOptions options)
    {
        long b = options.BatchSize, t = options.SequenceLength;
        var vocab = model.VocabSize;
        var device = DeviceOf(model);
        using var g = Generator.Create(options.Seed);
        var inputs = TorchOps.RandInt(0, vocab, [b, t], g).To(device);
        var targets = TorchOps.RandInt(0, vocab, [b, t], g).To(device);
        var mask = TorchOps.Zeros([b, t]);
        mask.Narrow(1, t / 2, t - t / 2).Fill(1.0);
        return new SyntheticBatch(inputs, targets, mask.To(device), vocab, options.Seed, b * (t / 2));
    }

    /// <summary>The device of the model's first parameter (CPU when it has none).</summary>
    public static Device DeviceOf(ILogitsModel model) => model.TrainableParameters().FirstOrDefault()?.Device ?? Device.Cpu;

    /// <summary>The targets with every masked (or every trained) position replaced by a different valid token.</summary>
    public Tensor CorruptAt(bool masked)
    {
        using var g = Generator.Create(_seed + (masked ? 101UL : 202UL));
        var shift = TorchOps.RandInt(1, Math.Max(2, _vocab), Targets.Shape, g).To(Targets.Device); // in [1, V-1]
        var changed = Targets.Add(shift).Remainder((long)_vocab);
        var where = masked ? Mask.Eq(0L) : Mask.Ne(0L);
        return TorchOps.Where(where, changed, Targets);
    }
}
