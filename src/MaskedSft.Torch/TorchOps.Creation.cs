// Tensor factories: zeros, ones, full, empty, scalar, arange, linspace, eye, *_like.
namespace MaskedSft.Torch;

/// <summary>Free functions over tensors (the counterpart of the torch module): factories, random numbers, joins,
/// neural-network functions, losses, thread settings and gradient clipping.</summary>
public static partial class TorchOps
{
    /// <summary>A tensor of zeros.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">A size is negative or the device is not available.</exception>
    public static Tensor Zeros(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Fill(shape, dtype, device, "zeros");

    /// <summary>A tensor of ones.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">A size is negative or the device is not available.</exception>
    public static Tensor Ones(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Fill(shape, dtype, device, "ones");

    /// <summary>An uninitialized tensor (its values are arbitrary).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">A size is negative or the device is not available.</exception>
    public static Tensor Empty(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Fill(shape, dtype, device, "empty");

    /// <summary>A tensor filled with one value.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="value">The value.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">A size is negative or the device is not available.</exception>
    public static Tensor Full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        unsafe
        {
            fixed (long* p = shape)
            {
                return Tensor.WrapNew(
                    NativeMethods.msft_full(p, shape.Length, value, (long)value, IsIntegral(dtype), (int)dtype, (int)dev.Type, dev.Index),
                    $"full([{string.Join(", ", shape.ToArray())}], {dtype}, {dev})");
            }
        }
    }

    /// <summary>A 0-d tensor holding one value.</summary>
    /// <param name="value">The value.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    public static Tensor Scalar(double value, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        return Tensor.WrapNew(
            NativeMethods.msft_scalar_tensor(value, (long)value, IsIntegral(dtype), (int)dtype, (int)dev.Type, dev.Index),
            $"scalar_tensor({dtype}, {dev})");
    }

    /// <summary>0, 1, ..., end-1 as int64.</summary>
    /// <param name="end">The exclusive end.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    public static Tensor Arange(long end, Device? device = null) => Arange(0, end, 1, ScalarType.Int64, device);

    /// <summary>start, start+step, ... below end.</summary>
    /// <param name="start">First value.</param>
    /// <param name="end">Exclusive end.</param>
    /// <param name="step">Step (non-zero).</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">The step is zero or has the wrong sign.</exception>
    public static Tensor Arange(long start, long end, long step = 1, ScalarType dtype = ScalarType.Int64, Device? device = null) =>
        Arange((double)start, end, step, dtype, device);

    /// <summary>start, start+step, ... below end (floating-point).</summary>
    /// <param name="start">First value.</param>
    /// <param name="end">Exclusive end.</param>
    /// <param name="step">Step (non-zero).</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">The step is zero or has the wrong sign.</exception>
    public static Tensor Arange(double start, double end, double step, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        return Tensor.WrapNew(
            NativeMethods.msft_arange(start, end, step, (int)dtype, (int)dev.Type, dev.Index), $"arange({start}, {end}, {step})");
    }

    /// <summary>count evenly spaced values from start to end inclusive.</summary>
    /// <param name="start">First value.</param>
    /// <param name="end">Last value.</param>
    /// <param name="count">Number of values.</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The tensor.</returns>
    public static Tensor Linspace(double start, double end, long count, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        return Tensor.WrapNew(
            NativeMethods.msft_linspace(start, end, count, (int)dtype, (int)dev.Type, dev.Index), $"linspace({start}, {end}, {count})");
    }

    /// <summary>The n x m identity matrix (m = n when not given).</summary>
    /// <param name="n">Rows.</param>
    /// <param name="m">Columns (-1 = n).</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The matrix.</returns>
    public static Tensor Eye(long n, long m = -1, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        return Tensor.WrapNew(NativeMethods.msft_eye(n, m < 0 ? n : m, (int)dtype, (int)dev.Type, dev.Index), $"eye({n}, {m})");
    }

    /// <summary>Zeros with the shape, device and (unless given) dtype of a tensor.</summary>
    /// <param name="like">The model tensor.</param>
    /// <param name="dtype">Another dtype, or null to keep it.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="like"/> is null.</exception>
    public static Tensor ZerosLike(Tensor like, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(like);
        return Tensor.Wrap(NativeMethods.msft_zeros_like(like.Handle, dtype.HasValue ? (int)dtype.Value : -1), "zeros_like", like);
    }

    /// <summary>Ones with the shape, device and (unless given) dtype of a tensor.</summary>
    /// <param name="like">The model tensor.</param>
    /// <param name="dtype">Another dtype, or null to keep it.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="like"/> is null.</exception>
    public static Tensor OnesLike(Tensor like, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(like);
        return Tensor.Wrap(NativeMethods.msft_ones_like(like.Handle, dtype.HasValue ? (int)dtype.Value : -1), "ones_like", like);
    }

    /// <summary>A value with the shape, device and (unless given) dtype of a tensor.</summary>
    /// <param name="like">The model tensor.</param>
    /// <param name="value">The value.</param>
    /// <param name="dtype">Another dtype, or null to keep it.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="like"/> is null.</exception>
    public static Tensor FullLike(Tensor like, double value, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(like);
        var isInt = IsIntegral(dtype ?? like.DType);
        return Tensor.Wrap(
            NativeMethods.msft_full_like(like.Handle, value, (long)value, isInt, dtype.HasValue ? (int)dtype.Value : -1), "full_like", like);
    }

    private static bool IsIntegral(ScalarType dtype) => !dtype.IsFloatingPoint() && dtype != ScalarType.Bool;

    private static unsafe Tensor Fill(ReadOnlySpan<long> shape, ScalarType dtype, Device? device, string name)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        fixed (long* p = shape)
        {
            var h = name switch
            {
                "zeros" => NativeMethods.msft_zeros(p, shape.Length, (int)dtype, (int)dev.Type, dev.Index),
                "ones" => NativeMethods.msft_ones(p, shape.Length, (int)dtype, (int)dev.Type, dev.Index),
                _ => NativeMethods.msft_empty(p, shape.Length, (int)dtype, (int)dev.Type, dev.Index),
            };
            if (h == IntPtr.Zero)
            {
                throw TorchException.FromNative($"{name}([{string.Join(", ", shape.ToArray())}], {dtype}, {dev})");
            }

            return new Tensor(h);
        }
    }
}
