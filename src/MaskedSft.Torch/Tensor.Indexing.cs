// Indexing operations of a tensor: slice, narrow, select, index_select, gather, scatter, masked_fill, tril/triu.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>Elements start..end (exclusive) with a step along a dimension, as Python's t[start:end:step]
    /// (negative positions count from the end; end past the size is clamped). A view.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="start">First index.</param>
    /// <param name="end">End index (exclusive); long.MaxValue for "to the end".</param>
    /// <param name="step">Step (positive).</param>
    /// <returns>The view.</returns>
    public Tensor Slice(long dim, long start, long end, long step = 1) =>
        Wrap(NativeMethods.msft_slice(Handle, dim, start, end, step), "slice", this);

    /// <summary>length elements from start along a dimension (a view).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="start">First index.</param>
    /// <param name="length">Number of elements.</param>
    /// <returns>The view.</returns>
    public Tensor Narrow(long dim, long start, long length) =>
        Wrap(NativeMethods.msft_narrow(Handle, dim, start, length), "narrow", this);

    /// <summary>The slice at one index of a dimension, which is removed (a view).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">The index (negative counts from the end).</param>
    /// <returns>The view.</returns>
    public Tensor Select(long dim, long index) =>
        Wrap(NativeMethods.msft_select(Handle, dim, index), "select", this);

    /// <summary>The entries at the given indices along a dimension (a copy).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">1-d int64 indices.</param>
    /// <returns>The selected entries.</returns>
    /// <exception cref="TorchException">An index is out of range or the index is not int64.</exception>
    public Tensor IndexSelect(long dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return Wrap(NativeMethods.msft_index_select(Handle, dim, index.Handle), "index_select", this, index);
    }

    /// <summary>out[i][j] = this[index[i][j]][j] for dim 0 (and likewise for other dims).</summary>
    /// <param name="dim">The dimension to gather along.</param>
    /// <param name="index">int64 indices, same rank as this tensor.</param>
    /// <returns>The gathered values, shaped like <paramref name="index"/>.</returns>
    /// <exception cref="TorchException">An index is out of range.</exception>
    public Tensor Gather(long dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return Wrap(NativeMethods.msft_gather(Handle, dim, index.Handle), "gather", this, index);
    }

    /// <summary>A copy with src's values written at index along dim (the inverse of <see cref="Gather"/>).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">int64 indices.</param>
    /// <param name="source">The values.</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="TorchException">An index is out of range.</exception>
    public Tensor Scatter(long dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        return Wrap(NativeMethods.msft_scatter(Handle, dim, index.Handle, source.Handle, false), "scatter", this, index, source);
    }

    /// <summary>A copy with src's values added at index along dim (duplicates accumulate).</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="index">int64 indices.</param>
    /// <param name="source">The values.</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="TorchException">An index is out of range.</exception>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(source);
        return Wrap(NativeMethods.msft_scatter(Handle, dim, index.Handle, source.Handle, true), "scatter_add", this, index, source);
    }

    /// <summary>A copy with the value wherever the boolean mask (broadcast) is true.</summary>
    /// <param name="mask">A bool tensor.</param>
    /// <param name="value">The fill value.</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="TorchException">The mask is not bool or does not broadcast.</exception>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return Wrap(NativeMethods.msft_masked_fill(Handle, mask.Handle, value, 0, false), "masked_fill", this, mask);
    }

    /// <summary>A copy with the integer value wherever the boolean mask (broadcast) is true.</summary>
    /// <param name="mask">A bool tensor.</param>
    /// <param name="value">The fill value.</param>
    /// <returns>The new tensor.</returns>
    /// <exception cref="TorchException">The mask is not bool or does not broadcast.</exception>
    public Tensor MaskedFill(Tensor mask, long value)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return Wrap(NativeMethods.msft_masked_fill(Handle, mask.Handle, value, value, true), "masked_fill", this, mask);
    }

    /// <summary>The elements where the boolean mask is true, as a 1-d tensor.</summary>
    /// <param name="mask">A bool tensor broadcastable to this shape.</param>
    /// <returns>The selected elements.</returns>
    public Tensor MaskedSelect(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        return Wrap(NativeMethods.msft_masked_select(Handle, mask.Handle), "masked_select", this, mask);
    }

    /// <summary>The lower triangle of the last two dimensions (others zeroed).</summary>
    /// <param name="diagonal">0 keeps the main diagonal; positive keeps more, negative fewer.</param>
    /// <returns>The new tensor.</returns>
    public Tensor Tril(long diagonal = 0) => Wrap(NativeMethods.msft_tril(Handle, diagonal), "tril", this);

    /// <summary>The upper triangle of the last two dimensions (others zeroed).</summary>
    /// <param name="diagonal">0 keeps the main diagonal; positive keeps fewer, negative more.</param>
    /// <returns>The new tensor.</returns>
    public Tensor Triu(long diagonal = 0) => Wrap(NativeMethods.msft_triu(Handle, diagonal), "triu", this);

    /// <summary>The indices of the non-zero elements as a (count, Dim) int64 tensor.</summary>
    /// <returns>The indices.</returns>
    public Tensor Nonzero() => Wrap(NativeMethods.msft_nonzero(Handle), "nonzero", this);
}
