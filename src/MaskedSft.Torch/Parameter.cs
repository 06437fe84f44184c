// A trainable tensor owned by a module: a leaf that requires grad and never belongs to a dispose scope.
namespace MaskedSft.Torch;

/// <summary>
/// A trainable tensor: a leaf of the autograd graph that requires grad by default. Unlike other tensors it is never
/// registered with a <see cref="DisposeScope"/>, so parameters live until their module (or the caller) disposes them.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>A parameter sharing the storage of <paramref name="data"/> (detached from any graph). The caller still
    /// owns <paramref name="data"/>; the parameter is a separate handle.</summary>
    /// <param name="data">The initial values.</param>
    /// <param name="requiresGrad">Whether gradients are computed for it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="TorchException">requiresGrad is true for a non-floating-point tensor.</exception>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(Detached(data), registerInScope: false)
    {
        if (requiresGrad)
        {
            RequiresGrad = true;
        }
    }

    private static IntPtr Detached(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var h = NativeMethods.msft_detach(data.Handle);
        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative("parameter", data);
        }

        GC.KeepAlive(data);
        return h;
    }
}
