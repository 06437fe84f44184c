// Autograd members of a tensor: requires_grad, backward, grad, zero_grad, detach, retain_grad.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>Whether autograd records operations on this tensor (set it on leaves only).</summary>
    /// <exception cref="TorchException">Set on a non-leaf tensor, or to true on a non-floating-point tensor.</exception>
    public bool RequiresGrad
    {
        get => Check(NativeMethods.msft_requires_grad(Handle), "requires_grad", this) == 1;
        set => Check(NativeMethods.msft_set_requires_grad(Handle, value), "set_requires_grad", this);
    }

    /// <summary>True for tensors created by the user (not by a recorded operation).</summary>
    public bool IsLeaf => Check(NativeMethods.msft_is_leaf(Handle), "is_leaf", this) == 1;

    /// <summary>The accumulated gradient (a new handle to it), or null before any backward reached this tensor.
    /// Each read returns a new <see cref="Tensor"/> that shares the gradient's storage.</summary>
    public Tensor? Grad
    {
        get
        {
            IntPtr grad;
            unsafe
            {
                Check(NativeMethods.msft_grad(Handle, &grad), "grad", this);
            }

            return grad == IntPtr.Zero ? null : new Tensor(grad);
        }

        set => Check(NativeMethods.msft_set_grad(Handle, HandleOf(value)), "set_grad", this, value);
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (fluent form).</summary>
    /// <param name="requiresGrad">The flag.</param>
    /// <returns>This tensor.</returns>
    public Tensor WithRequiresGrad(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Computes the gradients of this tensor with respect to the leaves that require grad, accumulating them
    /// into their <see cref="Grad"/>.</summary>
    /// <param name="gradient">The gradient of the final objective with respect to this tensor; null for a one-element
    /// tensor (means 1).</param>
    /// <param name="retainGraph">Keep the graph for another backward.</param>
    /// <param name="createGraph">Record the backward pass itself (higher-order gradients).</param>
    /// <exception cref="TorchException">The tensor does not require grad, or it is not a scalar and no gradient was given.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Check(NativeMethods.msft_backward(Handle, HandleOf(gradient), retainGraph, createGraph), "backward", this, gradient);

    /// <summary>Clears the gradient: drops it (default, as PyTorch's set_to_none) or zeroes it in place.</summary>
    /// <param name="setToNone">Drop the gradient instead of zeroing it.</param>
    public void ZeroGrad(bool setToNone = true) =>
        Check(NativeMethods.msft_zero_grad(Handle, setToNone), "zero_grad", this);

    /// <summary>A tensor sharing this one's data but outside the autograd graph.</summary>
    /// <returns>The detached tensor.</returns>
    public Tensor Detach() => Wrap(NativeMethods.msft_detach(Handle), "detach", this);

    /// <summary>Makes this non-leaf tensor keep its gradient after backward.</summary>
    public void RetainGrad() => Check(NativeMethods.msft_retain_grad(Handle), "retain_grad", this);
}
