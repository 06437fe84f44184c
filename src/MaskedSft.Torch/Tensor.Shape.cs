// Shape operations of a tensor: view, reshape, transpose, permute, (un)squeeze, flatten, expand, repeat, split, chunk.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>A view with another shape over the same data (one size may be -1; needs compatible strides).</summary>
    /// <param name="shape">The new shape.</param>
    /// <returns>The view.</returns>
    /// <exception cref="TorchException">The element counts differ or the strides do not allow a view.</exception>
    public Tensor View(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_view(Handle, p, shape.Length);
                if (h == IntPtr.Zero)
                {
                    throw TorchException.FromNative($"view([{string.Join(", ", shape)}])", this);
                }

                GC.KeepAlive(this);
                return new Tensor(h);
            }
        }
    }

    /// <summary>The data with another shape (a view when possible, else a copy; one size may be -1).</summary>
    /// <param name="shape">The new shape.</param>
    /// <returns>The reshaped tensor.</returns>
    /// <exception cref="TorchException">The element counts differ.</exception>
    public Tensor Reshape(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_reshape(Handle, p, shape.Length);
                if (h == IntPtr.Zero)
                {
                    throw TorchException.FromNative($"reshape([{string.Join(", ", shape)}])", this);
                }

                GC.KeepAlive(this);
                return new Tensor(h);
            }
        }
    }

    /// <summary>Swaps two dimensions (a view).</summary>
    /// <param name="dim0">First dimension.</param>
    /// <param name="dim1">Second dimension.</param>
    /// <returns>The view.</returns>
    public Tensor Transpose(long dim0, long dim1) =>
        Wrap(NativeMethods.msft_transpose(Handle, dim0, dim1), "transpose", this);

    /// <summary>Reorders the dimensions (a view).</summary>
    /// <param name="dims">The new order of the old dimensions.</param>
    /// <returns>The view.</returns>
    public Tensor Permute(params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        unsafe
        {
            fixed (long* p = dims)
            {
                var h = NativeMethods.msft_permute(Handle, p, dims.Length);
                if (h == IntPtr.Zero)
                {
                    throw TorchException.FromNative($"permute([{string.Join(", ", dims)}])", this);
                }

                GC.KeepAlive(this);
                return new Tensor(h);
            }
        }
    }

    /// <summary>Inserts a dimension of size 1.</summary>
    /// <param name="dim">Where to insert it.</param>
    /// <returns>The view.</returns>
    public Tensor Unsqueeze(long dim) => Wrap(NativeMethods.msft_unsqueeze(Handle, dim), "unsqueeze", this);

    /// <summary>Removes every dimension of size 1.</summary>
    /// <returns>The view.</returns>
    public Tensor Squeeze() => Wrap(NativeMethods.msft_squeeze(Handle, false, 0), "squeeze", this);

    /// <summary>Removes a dimension if its size is 1.</summary>
    /// <param name="dim">The dimension.</param>
    /// <returns>The view.</returns>
    public Tensor Squeeze(long dim) => Wrap(NativeMethods.msft_squeeze(Handle, true, dim), "squeeze", this);

    /// <summary>Merges dimensions startDim..endDim into one.</summary>
    /// <param name="startDim">First merged dimension.</param>
    /// <param name="endDim">Last merged dimension (inclusive).</param>
    /// <returns>The flattened tensor.</returns>
    public Tensor Flatten(long startDim = 0, long endDim = -1) =>
        Wrap(NativeMethods.msft_flatten(Handle, startDim, endDim), "flatten", this);

    /// <summary>Broadcasts size-1 dimensions to a larger shape without copying (-1 keeps a size).</summary>
    /// <param name="shape">The target shape.</param>
    /// <returns>The expanded view.</returns>
    public Tensor Expand(params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_expand(Handle, p, shape.Length);
                if (h == IntPtr.Zero)
                {
                    throw TorchException.FromNative($"expand([{string.Join(", ", shape)}])", this);
                }

                GC.KeepAlive(this);
                return new Tensor(h);
            }
        }
    }

    /// <summary>Tiles the tensor along each dimension.</summary>
    /// <param name="repeats">How many times per dimension.</param>
    /// <returns>The repeated tensor.</returns>
    public Tensor Repeat(params long[] repeats)
    {
        ArgumentNullException.ThrowIfNull(repeats);
        unsafe
        {
            fixed (long* p = repeats)
            {
                var h = NativeMethods.msft_repeat(Handle, p, repeats.Length);
                if (h == IntPtr.Zero)
                {
                    throw TorchException.FromNative($"repeat([{string.Join(", ", repeats)}])", this);
                }

                GC.KeepAlive(this);
                return new Tensor(h);
            }
        }
    }

    /// <summary>Splits along a dimension into pieces of the given sizes (views).</summary>
    /// <param name="sizes">The piece sizes; they must add up to the dimension's size.</param>
    /// <param name="dim">The dimension.</param>
    /// <returns>The pieces.</returns>
    public Tensor[] Split(long[] sizes, long dim = 0)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var handles = new IntPtr[sizes.Length];
        long count;
        unsafe
        {
            fixed (long* p = sizes)
            fixed (IntPtr* o = handles)
            {
                count = NativeMethods.msft_split_with_sizes(Handle, p, sizes.Length, dim, o, handles.Length);
            }
        }

        Check(count, "split", this);
        return WrapAll(handles, count);
    }

    /// <summary>Splits along a dimension into <paramref name="chunks"/> nearly equal pieces (the last may be smaller).</summary>
    /// <param name="chunks">The number of pieces.</param>
    /// <param name="dim">The dimension.</param>
    /// <returns>The pieces (possibly fewer than asked for when the dimension is small).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is not positive.</exception>
    public Tensor[] Chunk(int chunks, long dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunks);
        var handles = new IntPtr[chunks];
        long count;
        unsafe
        {
            fixed (IntPtr* o = handles)
            {
                count = NativeMethods.msft_chunk(Handle, chunks, dim, o, handles.Length);
            }
        }

        Check(count, "chunk", this);
        return WrapAll(handles, count);
    }

    private static Tensor[] WrapAll(IntPtr[] handles, long count)
    {
        var result = new Tensor[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = new Tensor(handles[i]);
        }

        return result;
    }
}
