// Live and peak counts of native tensor handles, for leak tests and diagnostics.
namespace MaskedSft.Torch;

/// <summary>Counts of native tensor handles held by managed <see cref="Tensor"/>s (process-wide).</summary>
public static class TensorCounters
{
    private static long s_finalized;

    /// <summary>
    /// Tensors freed by the garbage collector's finalizer instead of <see cref="Tensor.Dispose()"/> or a
    /// <see cref="DisposeScope"/> since the library loaded: each one is a leak that held native memory until a GC ran.
    /// Zero in a healthy process; leak tests read it, and it also explains a <see cref="Live"/> count that drops on
    /// its own.
    /// </summary>
    public static long Finalized => Interlocked.Read(ref s_finalized);

    /// <summary>
    /// Runs the garbage collector until every unreachable tensor has been finalized, then returns <see cref="Live"/>.
    /// Take a leak test's baseline with it, so that tensors some earlier code forgot cannot be freed by the finalizer
    /// in the middle of the measurement and make the count drop.
    /// </summary>
    /// <returns>The live count once the finalizer queue is empty.</returns>
    public static long SettledLive()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Live;
    }

    /// <summary>Called by a tensor's finalizer when it frees a handle nobody disposed.</summary>
    internal static void CountFinalized() => Interlocked.Increment(ref s_finalized);

    /// <summary>Native tensor handles alive now (created and not yet freed).</summary>
    public static long Live
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_tensor_live_count();
        }
    }

    /// <summary>The highest <see cref="Live"/> count since the library loaded or <see cref="ResetPeak"/>.</summary>
    public static long Peak
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_tensor_peak_count();
        }
    }

    /// <summary>
    /// Reads of tensor data by the host since the library loaded: every <see cref="Tensor.Item{T}"/>,
    /// <see cref="Tensor.ToArray{T}"/>, <see cref="Tensor.CopyTo{T}"/> / <see cref="Tensor.CopyToBytes"/>, a conversion of a
    /// device tensor to the CPU, and <see cref="TorchOps.ClipGradNorm"/> count one (counted in the native layer, where all
    /// of them pass). On CUDA each one waits for the queued work, so it is the number of host synchronisations; tests use
    /// it to bound them per training step.
    /// </summary>
    public static long HostReads
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_host_read_count();
        }
    }

    /// <summary>Sets <see cref="Peak"/> to the current <see cref="Live"/> count.</summary>
    public static void ResetPeak()
    {
        NativeMethods.EnsureLoaded();
        NativeMethods.msft_tensor_reset_peak();
    }
}
