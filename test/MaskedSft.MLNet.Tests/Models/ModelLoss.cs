// Test shorthand: a model's masked-only head loss on (x, y, mask): ForwardHidden, then WeightedSftLoss.ComputeFromHidden.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models;

/// <summary>The loss a trainer computes for a model, in one call (the tensors join the current dispose scope).</summary>
internal static class ModelLoss
{
    /// <summary>The full output of the masked-only head loss for aligned (x, y, mask).</summary>
    public static MaskedLmOutput Output(ICausalLm model, Tensor x, Tensor y, Tensor? mask, Tensor? advantages = null, WeightedSftLoss? loss = null, LossNormalizer? normalizer = null) =>
        (loss ?? new WeightedSftLoss()).ComputeFromHidden(model.ForwardHidden(new CausalLmInput(x)), model.HeadWeight, y, mask, advantages, normalizer);

    /// <summary>The token-mean masked loss <c>sum(CE * mask) / max(sum(mask), 1)</c> (the seed's <c>model(x, y, mask)</c>).</summary>
    public static Tensor Masked(ICausalLm model, Tensor x, Tensor y, Tensor mask) => Output(model, x, y, mask).Loss;
}
