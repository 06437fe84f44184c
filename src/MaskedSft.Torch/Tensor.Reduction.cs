// Reductions of a tensor: sum, mean, max/min (with indices), argmax/argmin, logsumexp, norm, all/any, cumsum, topk.
namespace MaskedSft.Torch;

public partial class Tensor
{
    /// <summary>Sum of all elements (a 0-d tensor).</summary>
    /// <returns>The sum (integer and bool tensors sum to int64).</returns>
    public Tensor Sum() => Wrap(NativeMethods.msft_sum_all(Handle, -1), "sum", this);

    /// <summary>Sum over one dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <param name="dtype">Accumulate and return in this dtype.</param>
    /// <returns>The sums.</returns>
    public Tensor Sum(long dim, bool keepDim = false, ScalarType? dtype = null) => Sum([dim], keepDim, dtype);

    /// <summary>Sum over several dimensions.</summary>
    /// <param name="dims">The dimensions.</param>
    /// <param name="keepDim">Keep the reduced dimensions with size 1.</param>
    /// <param name="dtype">Accumulate and return in this dtype.</param>
    /// <returns>The sums.</returns>
    public Tensor Sum(ReadOnlySpan<long> dims, bool keepDim = false, ScalarType? dtype = null)
    {
        unsafe
        {
            fixed (long* p = dims)
            {
                return Wrap(NativeMethods.msft_sum(Handle, p, dims.Length, keepDim, dtype.HasValue ? (int)dtype.Value : -1), "sum", this);
            }
        }
    }

    /// <summary>Mean of all elements (floating-point tensors).</summary>
    /// <returns>The mean.</returns>
    public Tensor Mean() => Wrap(NativeMethods.msft_mean_all(Handle), "mean", this);

    /// <summary>Mean over one dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>The means.</returns>
    public Tensor Mean(long dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean over several dimensions.</summary>
    /// <param name="dims">The dimensions.</param>
    /// <param name="keepDim">Keep the reduced dimensions with size 1.</param>
    /// <returns>The means.</returns>
    public Tensor Mean(ReadOnlySpan<long> dims, bool keepDim = false)
    {
        unsafe
        {
            fixed (long* p = dims)
            {
                return Wrap(NativeMethods.msft_mean(Handle, p, dims.Length, keepDim), "mean", this);
            }
        }
    }

    /// <summary>Largest element (a 0-d tensor).</summary>
    /// <returns>The maximum.</returns>
    public Tensor Max() => Wrap(NativeMethods.msft_max_all(Handle), "max", this);

    /// <summary>Smallest element (a 0-d tensor).</summary>
    /// <returns>The minimum.</returns>
    public Tensor Min() => Wrap(NativeMethods.msft_min_all(Handle), "min", this);

    /// <summary>Largest values along a dimension and their int64 indices.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>(Values, Indices).</returns>
    public (Tensor Values, Tensor Indices) Max(long dim, bool keepDim = false)
    {
        IntPtr values, indices;
        unsafe
        {
            Check(NativeMethods.msft_max_dim(Handle, dim, keepDim, &values, &indices), "max", this);
        }

        return (new Tensor(values), new Tensor(indices));
    }

    /// <summary>Smallest values along a dimension and their int64 indices.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>(Values, Indices).</returns>
    public (Tensor Values, Tensor Indices) Min(long dim, bool keepDim = false)
    {
        IntPtr values, indices;
        unsafe
        {
            Check(NativeMethods.msft_min_dim(Handle, dim, keepDim, &values, &indices), "min", this);
        }

        return (new Tensor(values), new Tensor(indices));
    }

    /// <summary>Index of the largest element of the flattened tensor.</summary>
    /// <returns>A 0-d int64 tensor.</returns>
    public Tensor Argmax() => Wrap(NativeMethods.msft_argmax(Handle, false, 0, false), "argmax", this);

    /// <summary>Indices of the largest elements along a dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>int64 indices.</returns>
    public Tensor Argmax(long dim, bool keepDim = false) => Wrap(NativeMethods.msft_argmax(Handle, true, dim, keepDim), "argmax", this);

    /// <summary>Index of the smallest element of the flattened tensor.</summary>
    /// <returns>A 0-d int64 tensor.</returns>
    public Tensor Argmin() => Wrap(NativeMethods.msft_argmin(Handle, false, 0, false), "argmin", this);

    /// <summary>Indices of the smallest elements along a dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>int64 indices.</returns>
    public Tensor Argmin(long dim, bool keepDim = false) => Wrap(NativeMethods.msft_argmin(Handle, true, dim, keepDim), "argmin", this);

    /// <summary>log(sum(exp(x))) over one dimension, computed stably.</summary>
    /// <param name="dim">The dimension.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <returns>The result.</returns>
    public Tensor Logsumexp(long dim, bool keepDim = false) => Logsumexp([dim], keepDim);

    /// <summary>log(sum(exp(x))) over several dimensions, computed stably.</summary>
    /// <param name="dims">The dimensions.</param>
    /// <param name="keepDim">Keep the reduced dimensions with size 1.</param>
    /// <returns>The result.</returns>
    public Tensor Logsumexp(ReadOnlySpan<long> dims, bool keepDim = false)
    {
        unsafe
        {
            fixed (long* p = dims)
            {
                return Wrap(NativeMethods.msft_logsumexp(Handle, p, dims.Length, keepDim), "logsumexp", this);
            }
        }
    }

    /// <summary>The p-norm of all elements.</summary>
    /// <param name="p">The order (2 = Euclidean; double.PositiveInfinity = max abs).</param>
    /// <returns>A 0-d tensor.</returns>
    public Tensor Norm(double p = 2.0) => Wrap(NativeMethods.msft_norm(Handle, p), "norm", this);

    /// <summary>True (0-d bool) when every element is non-zero.</summary>
    /// <returns>The result.</returns>
    public Tensor All() => Wrap(NativeMethods.msft_all(Handle), "all", this);

    /// <summary>True (0-d bool) when any element is non-zero.</summary>
    /// <returns>The result.</returns>
    public Tensor Any() => Wrap(NativeMethods.msft_any(Handle), "any", this);

    /// <summary>Cumulative sum along a dimension.</summary>
    /// <param name="dim">The dimension.</param>
    /// <returns>The running sums.</returns>
    public Tensor Cumsum(long dim) => Wrap(NativeMethods.msft_cumsum(Handle, dim), "cumsum", this);

    /// <summary>The k largest (or smallest) values along a dimension, sorted, and their indices.</summary>
    /// <param name="k">How many.</param>
    /// <param name="dim">The dimension.</param>
    /// <param name="largest">Largest (true) or smallest (false).</param>
    /// <returns>(Values, Indices).</returns>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true)
    {
        IntPtr values, indices;
        unsafe
        {
            Check(NativeMethods.msft_topk(Handle, k, dim, largest, &values, &indices), "topk", this);
        }

        return (new Tensor(values), new Tensor(indices));
    }

    /// <summary>True when every element is finite (no NaN or infinity); a convenience over IsFinite().All().</summary>
    /// <returns>Whether all elements are finite.</returns>
    public bool AllFinite()
    {
        using var scope = new DisposeScope();
        return IsFinite().All().Item<bool>();
    }
}
