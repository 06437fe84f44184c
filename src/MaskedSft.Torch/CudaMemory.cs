// Peak CUDA memory of libtorch's caching allocator (torch.cuda.max_memory_allocated / reset_peak_memory_stats).
namespace MaskedSft.Torch;

/// <summary>
/// The caching allocator's statistics of a CUDA device, as torch.cuda reports them. Available only when the native
/// library was built against a CUDA libtorch; elsewhere <see cref="MaxMemoryAllocated"/> returns null.
/// </summary>
public static class CudaMemory
{
    /// <summary>The peak of bytes held by tensors on the device since the start or the last <see cref="ResetPeak"/>.</summary>
    /// <param name="deviceIndex">The CUDA device index.</param>
    /// <returns>The bytes, or null without CUDA (a CPU build, no such device).</returns>
    public static long? MaxMemoryAllocated(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        var bytes = NativeMethods.msft_cuda_max_memory_allocated(deviceIndex);
        return bytes < 0 ? null : bytes;
    }

    /// <summary>Starts a new peak (torch.cuda.reset_peak_memory_stats).</summary>
    /// <param name="deviceIndex">The CUDA device index.</param>
    /// <returns>False without CUDA (nothing to reset).</returns>
    public static bool ResetPeak(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        return NativeMethods.msft_cuda_reset_peak_memory_stats(deviceIndex) == 0;
    }
}
