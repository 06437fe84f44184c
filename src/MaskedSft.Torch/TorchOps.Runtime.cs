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

    /// <summary>Waits until the queued work of a CUDA device is done (no-op without CUDA); for timing.</summary>
    /// <param name="deviceIndex">The device index.</param>
    public static void CudaSynchronize(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_cuda_synchronize(deviceIndex), $"cuda_synchronize({deviceIndex})");
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
        var handles = new IntPtr[list.Count];
        for (var i = 0; i < handles.Length; i++)
        {
            handles[i] = list[i].Handle;
        }

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
