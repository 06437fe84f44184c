// Joining and selecting across tensors: cat, stack, where.
namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>Concatenates tensors along an existing dimension.</summary>
    /// <param name="tensors">The tensors (same shape except along dim).</param>
    /// <param name="dim">The dimension.</param>
    /// <returns>The concatenation.</returns>
    /// <exception cref="ArgumentNullException">The list or one of its tensors is null.</exception>
    /// <exception cref="TorchException">The shapes do not match.</exception>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, "cat", stack: false);

    /// <summary>Stacks tensors of equal shape along a new dimension.</summary>
    /// <param name="tensors">The tensors.</param>
    /// <param name="dim">Where the new dimension goes.</param>
    /// <returns>The stack.</returns>
    /// <exception cref="ArgumentNullException">The list or one of its tensors is null.</exception>
    /// <exception cref="TorchException">The shapes differ.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Join(tensors, dim, "stack", stack: true);

    /// <summary>Elementwise choice: <paramref name="whenTrue"/> where the condition holds, else <paramref name="whenFalse"/>.</summary>
    /// <param name="condition">A bool tensor.</param>
    /// <param name="whenTrue">Values where true.</param>
    /// <param name="whenFalse">Values where false.</param>
    /// <returns>The broadcast result.</returns>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    /// <exception cref="TorchException">The shapes cannot be broadcast or the condition is not bool.</exception>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(whenTrue);
        ArgumentNullException.ThrowIfNull(whenFalse);
        return Tensor.Wrap(NativeMethods.msft_where(condition.Handle, whenTrue.Handle, whenFalse.Handle), "where", condition, whenTrue, whenFalse);
    }

    private static Tensor Join(IReadOnlyList<Tensor> tensors, long dim, string name, bool stack)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        NativeMethods.EnsureLoaded();
        var handles = new IntPtr[tensors.Count];
        for (var i = 0; i < handles.Length; i++)
        {
            handles[i] = (tensors[i] ?? throw new ArgumentNullException(nameof(tensors), $"{name}: tensor {i} is null")).Handle;
        }

        IntPtr h;
        unsafe
        {
            fixed (IntPtr* p = handles)
            {
                h = stack ? NativeMethods.msft_stack(p, handles.Length, dim) : NativeMethods.msft_cat(p, handles.Length, dim);
            }
        }

        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative($"{name}(dim={dim})", [.. tensors]);
        }

        GC.KeepAlive(tensors);
        return new Tensor(h);
    }
}
