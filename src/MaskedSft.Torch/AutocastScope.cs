// A using-scope that turns on autocast (mixed precision, as torch.autocast) for one device type on this thread.
namespace MaskedSft.Torch;

/// <summary>
/// Autocast on this thread until disposed, as <c>with torch.autocast(device_type, dtype)</c>: matrix products, linear
/// layers and attention run in <see cref="DType"/> (e.g. bfloat16) while reductions, softmax, norms and losses run in
/// float32, and parameters stay in their own dtype (float32 master weights get float32 gradients). Scopes nest; the
/// outermost one frees the weight casts autocast cached inside it. Run the forward pass inside, the backward after.
/// </summary>
public sealed class AutocastScope : IDisposable
{
    private readonly int _deviceType;
    private readonly int _previousEnabled;
    private readonly int _previousDType;
    private bool _disposed;

    /// <summary>Enters autocast.</summary>
    /// <param name="device">The device type whose operations are cast (CPU or CUDA; the index is ignored).</param>
    /// <param name="dtype">The lower precision: <see cref="ScalarType.BFloat16"/> (default) or <see cref="ScalarType.Float16"/>.</param>
    /// <exception cref="TorchException">The device type or dtype is not supported.</exception>
    public AutocastScope(Device device, ScalarType dtype = ScalarType.BFloat16)
    {
        NativeMethods.EnsureLoaded();
        _deviceType = (int)device.Type;
        DType = dtype;
        int enabled, previous;
        unsafe
        {
            Tensor.Check(NativeMethods.msft_autocast_enter(_deviceType, (int)dtype, &enabled, &previous), $"autocast({device.Type}, {dtype})");
        }

        _previousEnabled = enabled;
        _previousDType = previous;
    }

    /// <summary>The lower-precision dtype of this scope.</summary>
    public ScalarType DType { get; }

    /// <summary>Whether autocast is on for a device type on this thread.</summary>
    /// <param name="device">The device (its type counts).</param>
    /// <returns>True inside an <see cref="AutocastScope"/> for that type.</returns>
    public static bool IsEnabled(Device device)
    {
        NativeMethods.EnsureLoaded();
        return Tensor.Check(NativeMethods.msft_autocast_is_enabled((int)device.Type), "autocast_is_enabled") == 1;
    }

    /// <summary>Leaves autocast, restoring the state before this scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Tensor.Check(NativeMethods.msft_autocast_exit(_deviceType, _previousEnabled, _previousDType), "autocast_exit");
    }
}
