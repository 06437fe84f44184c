// Runtime settings and utilities: intra-op threads, libtorch version, CUDA synchronization, gradient-norm clipping.
using System.Runtime.InteropServices;

namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>The libtorch version the native layer runs on, e.g. "1.13.0".</summary>
    public static string TorchVersion
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return Marshal.PtrToStringUTF8(NativeMethods.msft_torch_version()) ?? "unknown";
        }
    }

    /// <summary>Number of threads libtorch uses inside one operation (defaults to the machine's cores).</summary>
    /// <returns>The thread count.</returns>
    public static int GetNumThreads()
    {
        NativeMethods.EnsureLoaded();
        var n = NativeMethods.msft_get_num_threads();
        if (n < 0)
        {
            throw TorchException.FromNative("get_num_threads");
        }

        return n;
    }

    /// <summary>Sets the number of threads libtorch uses inside one operation.</summary>
    /// <param name="count">A positive count.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public static void SetNumThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_set_num_threads(count), $"set_num_threads({count})");
    }

    /// <summary>Whether float32 matrix products and convolutions on CUDA may use TF32 tensor cores (10-bit mantissa
    /// inputs, float32 accumulation; torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32).
    /// Process-wide; no effect on the CPU or on bfloat16 math.</summary>
    public static bool AllowTF32
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return Tensor.Check(NativeMethods.msft_get_allow_tf32(), "get_allow_tf32") == 1;
        }

        set
        {
            NativeMethods.EnsureLoaded();
            Tensor.Check(NativeMethods.msft_set_allow_tf32(value), "set_allow_tf32");
        }
    }

    /// <summary>Waits until the queued work of a CUDA device is done (no-op without CUDA); for timing.</summary>
    /// <param name="deviceIndex">The device index.</param>
    public static void CudaSynchronize(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_cuda_synchronize(deviceIndex), $"cuda_synchronize({deviceIndex})");
    }

    /// <summary>The same clipping as <see cref="ClipGradNorm"/> without reading anything back to the host: the norm is
    /// computed with multi-tensor kernels and the clip coefficient min(1, maxNorm / (norm + 1e-6)) is applied on the
    /// device.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="maxNorm">The largest allowed total norm (<see cref="double.PositiveInfinity"/>: measure only).</param>
    /// <param name="normType">The norm's order (2 by default; double.PositiveInfinity for max-abs).</param>
    /// <returns>() float32 on the gradients' device: the total norm before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative.</exception>
    public static Tensor ClipGradNormOnDevice(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNorm);
        NativeMethods.EnsureLoaded();
        unsafe
        {
            return OverTensors(parameters, (p, n) => NativeMethods.msft_clip_grad_norm_device((IntPtr*)p, n, maxNorm, normType), "clip_grad_norm_device");
        }
    }

    /// <summary>The total norm of several tensors (e.g. all parameters) with multi-tensor kernels, kept on the device.</summary>
    /// <param name="tensors">At least one tensor.</param>
    /// <param name="normType">The norm's order (2 by default; double.PositiveInfinity for max-abs).</param>
    /// <returns>() float32 on the first tensor's device.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tensors"/> is null.</exception>
    /// <exception cref="TorchException">The list is empty.</exception>
    public static Tensor TotalNorm(IEnumerable<Tensor> tensors, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        NativeMethods.EnsureLoaded();
        unsafe
        {
            return OverTensors(tensors, (p, n) => NativeMethods.msft_total_norm((IntPtr*)p, n, normType), "total_norm");
        }
    }

    /// <summary>For each i, adds the gradient of <paramref name="sources"/>[i] into the gradient of
    /// <paramref name="accumulators"/>[i] (converted to the accumulator's dtype; a new gradient when it has none) and
    /// drops it from the source; sources without a gradient are skipped. One native call for all pairs, nothing
    /// recorded, no host read: what mixed-precision training does after each micro-batch (bf16 gradients into float32
    /// master gradients).</summary>
    /// <param name="sources">Tensors whose gradients move (e.g. bfloat16 parameters).</param>
    /// <param name="accumulators">Tensors of the same shapes whose gradients receive them (e.g. float32 masters).</param>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    /// <exception cref="TorchException">A pair differs in shape.</exception>
    public static void MoveGradients(IReadOnlyList<Tensor> sources, IReadOnlyList<Tensor> accumulators)
    {
        unsafe
        {
            OverPairs(sources, accumulators, (a, b, n) => NativeMethods.msft_move_gradients((IntPtr*)a, (IntPtr*)b, n), "move_gradients");
        }
    }

    /// <summary>For each i, copies <paramref name="sources"/>[i] into <paramref name="destinations"/>[i] (dtype conversion
    /// included, e.g. float32 masters rounded into bfloat16 weights) in one native call, with libtorch's multi-tensor
    /// copy where it has one (2.2+); nothing recorded.</summary>
    /// <param name="destinations">Tensors written in place.</param>
    /// <param name="sources">Tensors of the same shapes.</param>
    /// <exception cref="ArgumentNullException">A list is null.</exception>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    /// <exception cref="TorchException">A pair differs in shape.</exception>
    public static void CopyTensors(IReadOnlyList<Tensor> destinations, IReadOnlyList<Tensor> sources)
    {
        unsafe
        {
            OverPairs(destinations, sources, (a, b, n) => NativeMethods.msft_copy_tensors((IntPtr*)a, (IntPtr*)b, n), "copy_tensors");
        }
    }

    private static unsafe void OverPairs(IReadOnlyList<Tensor> first, IReadOnlyList<Tensor> second, Func<IntPtr, IntPtr, long, int> call, string operation)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count)
            throw new ArgumentException($"{operation} needs lists of one length; got {first.Count} and {second.Count}.", nameof(second));
        NativeMethods.EnsureLoaded();
        var a = HandlesOf(first.ToList());
        var b = HandlesOf(second.ToList());
        int status;
        fixed (IntPtr* pa = a)
        fixed (IntPtr* pb = b)
        {
            status = call((IntPtr)pa, (IntPtr)pb, a.Length);
        }

        GC.KeepAlive(first);
        GC.KeepAlive(second);
        Tensor.Check(status, operation);
    }

    /// <summary>Calls a native function over an array of tensor handles (its address and length) and wraps the new tensor
    /// it returns.</summary>
    private static unsafe Tensor OverTensors(IEnumerable<Tensor> tensors, Func<IntPtr, long, IntPtr> call, string operation)
    {
        var list = tensors.ToList();
        var handles = HandlesOf(list);
        IntPtr result;
        fixed (IntPtr* p = handles)
        {
            result = call((IntPtr)p, handles.Length);
        }

        GC.KeepAlive(list);
        return Tensor.WrapNew(result, operation);
    }

    private static IntPtr[] HandlesOf(List<Tensor> list)
    {
        var handles = new IntPtr[list.Count];
        for (var i = 0; i < handles.Length; i++)
        {
            handles[i] = list[i].Handle;
        }

        return handles;
    }

    /// <summary>Scales the gradients of the parameters so that their total norm is at most
    /// <paramref name="maxNorm"/> (as torch.nn.utils.clip_grad_norm_); parameters without gradients are skipped.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="maxNorm">The largest allowed total norm.</param>
    /// <param name="normType">The norm's order (2 by default; double.PositiveInfinity for max-abs).</param>
    /// <returns>The total norm before clipping (NaN or infinity when a gradient is not finite).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNorm);
        NativeMethods.EnsureLoaded();
        var list = parameters.ToList();
        var handles = HandlesOf(list);
        double total;
        unsafe
        {
            fixed (IntPtr* p = handles)
            {
                Tensor.Check(NativeMethods.msft_clip_grad_norm(p, handles.Length, maxNorm, normType, &total), "clip_grad_norm");
            }
        }

        GC.KeepAlive(list);
        return total;
    }
}
