// A hook on a Linear layer's output (how LoRA attaches to a model without the model knowing about LoRA).
namespace MaskedSft.Torch.Nn;

/// <summary>
/// Extra computation attached to a <see cref="Linear"/> layer through <see cref="Linear.Adapter"/>: the layer computes
/// <c>x W^T + b</c> and returns what <see cref="Forward"/> makes of it (LoRA adds <c>scale · B A x</c>). The layer does
/// not own the adapter: its parameters are not among the layer's <see cref="Module.NamedParameters"/>, are not moved by
/// <see cref="Module.To"/> and are not disposed with the layer; whoever attached it manages it.
/// </summary>
public interface ILinearAdapter
{
    /// <summary>The layer's output with the adapter applied.</summary>
    /// <param name="layer">The layer the adapter is attached to (its weight, bias and training mode).</param>
    /// <param name="input">(..., in) the layer's input.</param>
    /// <param name="baseOutput">(..., out) the layer's own output <c>x W^T + b</c>.</param>
    /// <returns>(..., out) the output the layer returns; <paramref name="baseOutput"/> itself to leave it unchanged.</returns>
    Tensor Forward(Linear layer, Tensor input, Tensor baseOutput);
}
