// Tensor metadata (shape, dtype, device) and data exchange with .NET arrays, spans and raw bytes.
using System.Runtime.InteropServices;

namespace MaskedSft.Torch;

public partial class Tensor
{
    private const int StackShapeLimit = 16;

    /// <summary>The sizes of the dimensions (a new array on each call).</summary>
    public long[] Shape
    {
        get
        {
            var h = Handle;
            Span<long> buffer = stackalloc long[StackShapeLimit];
            long rank;
            unsafe
            {
                fixed (long* p = buffer)
                {
                    rank = NativeMethods.msft_tensor_shape(h, p, StackShapeLimit);
                }
            }

            Check(rank, "shape", null);
            if (rank <= StackShapeLimit)
            {
                GC.KeepAlive(this);
                return buffer[..(int)rank].ToArray();
            }

            var shape = new long[rank];
            unsafe
            {
                fixed (long* p = shape)
                {
                    Check(NativeMethods.msft_tensor_shape(h, p, rank), "shape", null);
                }
            }

            GC.KeepAlive(this);
            return shape;
        }
    }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Dim => (int)Check(NativeMethods.msft_tensor_dim(Handle), "dim", this);

    /// <summary>Total number of elements.</summary>
    public long NumberOfElements => Check(NativeMethods.msft_tensor_numel(Handle), "numel", this);

    /// <summary>The element type.</summary>
    public ScalarType DType
    {
        get
        {
            var code = NativeMethods.msft_tensor_dtype(Handle);
            Check(code, "dtype", this);
            return (ScalarType)code;
        }
    }

    /// <summary>The device holding the data.</summary>
    public Device Device
    {
        get
        {
            int type, index;
            unsafe
            {
                Check(NativeMethods.msft_tensor_device(Handle, &type, &index), "device", this);
            }

            return Device.FromNative(type, index);
        }
    }

    /// <summary>True when the elements are laid out contiguously in row-major order.</summary>
    public bool IsContiguous => Check(NativeMethods.msft_tensor_is_contiguous(Handle), "is_contiguous", this) == 1;

    /// <summary>Size of one dimension (negative counts from the end).</summary>
    /// <param name="dim">The dimension.</param>
    /// <returns>Its size.</returns>
    /// <exception cref="TorchException">The dimension is out of range.</exception>
    public long Size(int dim) => Check(NativeMethods.msft_tensor_size(Handle, dim), $"size(dim={dim})", this);

    /// <summary>A CPU tensor holding a copy of an array, with the given shape (1-d when no shape is given).</summary>
    /// <typeparam name="T">float, double, long, int, byte, bool, Half, or ushort (raw bfloat16 bits).</typeparam>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its product must equal the array length.</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    public static Tensor FromArray<T>(T[] data, params long[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Length == 0
            ? FromSpan<T>(data, [data.LongLength])
            : FromSpan<T>(data, shape);
    }

    /// <summary>A tensor holding a copy of a span, with the given shape (empty shape = a 0-d scalar).</summary>
    /// <typeparam name="T">float, double, long, int, byte, bool, Half, or ushort (raw bfloat16 bits).</typeparam>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its product must equal the span length.</param>
    /// <param name="device">Where to place the tensor (CPU when null).</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the data length.</exception>
    /// <exception cref="TorchException">The device is not available.</exception>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device = null)
        where T : unmanaged
    {
        var dtype = ScalarTypes.Of<T>();
        return FromBytes(MemoryMarshal.AsBytes(data), dtype, shape, device);
    }

    /// <summary>A tensor holding a copy of raw little-endian element bytes of a dtype (e.g. bfloat16 from a file).</summary>
    /// <param name="data">The element bytes in row-major order.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape; its product times the element size must equal the byte count.</param>
    /// <param name="device">Where to place the tensor (CPU when null).</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the byte count, or a size is negative.</exception>
    /// <exception cref="TorchException">The device is not available.</exception>
    public static Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType dtype, ReadOnlySpan<long> shape, Device? device = null)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"negative size in shape [{string.Join(", ", shape.ToArray())}]", nameof(shape));
            }

            count *= d;
        }

        var elementSize = dtype.ElementSize();
        if (count * elementSize != data.Length)
        {
            throw new ArgumentException(
                $"shape [{string.Join(", ", shape.ToArray())}] of {dtype} needs {count * elementSize} bytes " +
                $"({count} elements) but {data.Length} bytes were given", nameof(data));
        }

        var dev = device ?? Device.Cpu;
        IntPtr h;
        unsafe
        {
            fixed (byte* p = data)
            fixed (long* s = shape)
            {
                h = NativeMethods.msft_tensor_from_buffer(p, data.Length, (int)dtype, s, shape.Length, (int)dev.Type, dev.Index);
            }
        }

        return WrapNew(h, $"from_buffer(shape=[{string.Join(", ", shape.ToArray())}], dtype={dtype}, device={dev})");
    }

    /// <summary>A copy of the elements in row-major order (copied to the CPU first if needed).</summary>
    /// <typeparam name="T">The .NET element type matching <see cref="DType"/> (ushort for bfloat16 bits).</typeparam>
    /// <returns>The elements.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match the dtype.</exception>
    public T[] ToArray<T>()
        where T : unmanaged
    {
        var result = new T[NumberOfElements];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements in row-major order into a span of exactly <see cref="NumberOfElements"/>.</summary>
    /// <typeparam name="T">The .NET element type matching <see cref="DType"/> (ushort for bfloat16 bits).</typeparam>
    /// <param name="destination">Where to copy.</param>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match the dtype.</exception>
    /// <exception cref="ArgumentException">The span length is not the element count.</exception>
    public void CopyTo<T>(Span<T> destination)
        where T : unmanaged
    {
        var dtype = DType;
        var wanted = ScalarTypes.Of<T>();
        if (dtype != wanted)
        {
            throw new InvalidOperationException(
                $"the tensor holds {dtype} but {typeof(T).Name} ({wanted}) was asked for; convert with To({wanted}) first");
        }

        var count = NumberOfElements;
        if (destination.Length != count)
        {
            throw new ArgumentException(
                $"the destination has {destination.Length} elements but the tensor [{string.Join(", ", Shape)}] has {count}",
                nameof(destination));
        }

        CopyToBytes(MemoryMarshal.AsBytes(destination));
    }

    /// <summary>Copies the raw element bytes in row-major order (contiguous, via the CPU when needed).</summary>
    /// <param name="destination">Exactly <see cref="NumberOfElements"/> times the element size bytes.</param>
    /// <exception cref="TorchException">The destination size is wrong.</exception>
    public void CopyToBytes(Span<byte> destination)
    {
        unsafe
        {
            fixed (byte* p = destination)
            {
                Check(NativeMethods.msft_tensor_copy_to_buffer(Handle, p, destination.Length), "copy_to_bytes", this);
            }
        }
    }

    /// <summary>The value of a one-element tensor, converted to <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float, double, long, int, byte, bool, Half, or ushort (bfloat16 bits).</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The tensor does not have exactly one element.</exception>
    public T Item<T>()
        where T : unmanaged
    {
        var count = NumberOfElements;
        if (count != 1)
        {
            throw new InvalidOperationException(
                $"item() needs a one-element tensor but this one is [{string.Join(", ", Shape)}] ({count} elements)");
        }

        var wanted = ScalarTypes.Of<T>();
        Span<T> value = stackalloc T[1];
        if (DType == wanted)
        {
            CopyTo(value);
        }
        else
        {
            using var converted = ToUnscoped(wanted);
            converted.CopyTo(value);
        }

        return value[0];
    }

    /// <summary>A dtype conversion that is not registered with the current scope (internal helper).</summary>
    private Tensor ToUnscoped(ScalarType dtype)
    {
        var h = NativeMethods.msft_tensor_to(Handle, -1, 0, (int)dtype, false, false);
        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative($"to({dtype})", this);
        }

        return new Tensor(h, registerInScope: false);
    }
}
