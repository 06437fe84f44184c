// Device/dtype conversion, contiguous copies, clones and in-place updates of a tensor.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>The tensor on another device (the same tensor's data is copied; a new handle is returned).</summary>
    /// <param name="device">The target device.</param>
    /// <returns>The converted tensor.</returns>
    /// <exception cref="TorchException">The device is not available (e.g. CUDA without a GPU).</exception>
    public Tensor To(Device device) =>
        Wrap(NativeMethods.msft_tensor_to(Handle, (int)device.Type, device.Index, -1, false, false), $"to({device})", this);

    /// <summary>The tensor converted to another dtype.</summary>
    /// <param name="dtype">The target dtype.</param>
    /// <returns>The converted tensor.</returns>
    public Tensor To(ScalarType dtype) =>
        Wrap(NativeMethods.msft_tensor_to(Handle, -1, 0, (int)dtype, false, false), $"to({dtype})", this);

    /// <summary>The tensor on another device and with another dtype.</summary>
    /// <param name="device">The target device.</param>
    /// <param name="dtype">The target dtype.</param>
    /// <param name="copy">Copy even when nothing changes.</param>
    /// <returns>The converted tensor.</returns>
    /// <exception cref="TorchException">The device is not available.</exception>
    public Tensor To(Device device, ScalarType dtype, bool copy = false) =>
        Wrap(NativeMethods.msft_tensor_to(Handle, (int)device.Type, device.Index, (int)dtype, false, copy),
            $"to({device}, {dtype})", this);

    /// <summary>The tensor on the CPU.</summary>
    /// <returns>The CPU tensor.</returns>
    public Tensor Cpu() => To(Device.Cpu);

    /// <summary>The tensor in contiguous row-major memory (shares data when already contiguous).</summary>
    /// <returns>The contiguous tensor.</returns>
    public Tensor Contiguous() => Wrap(NativeMethods.msft_tensor_contiguous(Handle), "contiguous", this);

    /// <summary>A copy with its own storage (gradients flow back to this tensor).</summary>
    /// <returns>The copy.</returns>
    public Tensor Clone() => Wrap(NativeMethods.msft_tensor_clone(Handle), "clone", this);

    /// <summary>A second handle to the same tensor (same storage and autograd identity), owned separately.</summary>
    /// <returns>The alias.</returns>
    public Tensor Alias() => Wrap(NativeMethods.msft_tensor_alias(Handle), "alias", this);

    /// <summary>Copies the values of <paramref name="source"/> into this tensor in place (broadcasting, converting
    /// dtype and device).</summary>
    /// <param name="source">The values.</param>
    /// <returns>This tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast.</exception>
    public Tensor CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check(NativeMethods.msft_tensor_copy_(Handle, source.Handle), "copy_", this, source);
        return this;
    }

    /// <summary>Sets every element to a value in place.</summary>
    /// <param name="value">The value.</param>
    /// <returns>This tensor.</returns>
    public Tensor Fill(double value)
    {
        Check(NativeMethods.msft_tensor_fill_(Handle, value, 0, false), "fill_", this);
        return this;
    }

    /// <summary>Sets every element to zero in place.</summary>
    /// <returns>This tensor.</returns>
    public Tensor Zero()
    {
        Check(NativeMethods.msft_tensor_zero_(Handle), "zero_", this);
        return this;
    }

    /// <summary>In place: this += alpha * other.</summary>
    /// <param name="other">The addend (broadcast to this shape).</param>
    /// <param name="alpha">Its factor.</param>
    /// <returns>This tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast.</exception>
    public Tensor AddInPlace(Tensor other, double alpha = 1.0)
    {
        ArgumentNullException.ThrowIfNull(other);
        Check(NativeMethods.msft_add_(Handle, other.Handle, alpha), "add_", this, other);
        return this;
    }

    /// <summary>In place: this += value.</summary>
    /// <param name="value">The value.</param>
    /// <returns>This tensor.</returns>
    public Tensor AddInPlace(double value)
    {
        Check(NativeMethods.msft_add_scalar_(Handle, value, 0, false), "add_", this);
        return this;
    }

    /// <summary>In place: this *= other.</summary>
    /// <param name="other">The factor (broadcast to this shape).</param>
    /// <returns>This tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast.</exception>
    public Tensor MulInPlace(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Check(NativeMethods.msft_mul_(Handle, other.Handle), "mul_", this, other);
        return this;
    }

    /// <summary>In place: this *= value.</summary>
    /// <param name="value">The factor.</param>
    /// <returns>This tensor.</returns>
    public Tensor MulInPlace(double value)
    {
        Check(NativeMethods.msft_mul_scalar_(Handle, value, 0, false), "mul_", this);
        return this;
    }

    /// <summary>Replaces this tensor's data (storage, shape, dtype, device) by <paramref name="source"/>'s while keeping
    /// its identity, autograd flags and every handle to it (used to move parameters between devices).</summary>
    /// <param name="source">The new data.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    public void SetData(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Check(NativeMethods.msft_tensor_set_data(Handle, source.Handle), "set_data", this, source);
    }
}
