// The hook through which adapters (LoRA) change what a projection of a pretrained model computes.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Changes the output of an <see cref="AdaptableLinear"/> (q_proj, ..., down_proj), e.g. a LoRA adapter adding
/// <c>scale · B(A(dropout(x)))</c>. The adapter owns its parameters; the base model's parameters and names stay as they are.
/// </summary>
public interface ILinearAdapter
{
    /// <summary>The adapted output of the projection.</summary>
    /// <param name="input">(..., in) what the projection received.</param>
    /// <param name="baseOutput">(..., out) the projection's own output, x Wᵀ + b.</param>
    /// <returns>(..., out) the output the model continues with (baseOutput itself when the adapter is disabled).</returns>
    Tensor Adapt(Tensor input, Tensor baseOutput);
}
