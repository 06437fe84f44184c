// The CUDA caching allocator's statistics (torch.cuda.memory_allocated / max_memory_allocated / memory_reserved).
namespace MaskedSft.Torch;

/// <summary>Bytes of a CUDA device held by tensors and reserved by libtorch's caching allocator.</summary>
/// <param name="Allocated">Bytes held by live tensors now (torch.cuda.memory_allocated).</param>
/// <param name="PeakAllocated">The peak of <paramref name="Allocated"/> since the last <see cref="CudaMemory.ResetPeak"/> (torch.cuda.max_memory_allocated).</param>
/// <param name="Reserved">Bytes the allocator holds from the driver, cached blocks included (torch.cuda.memory_reserved).</param>
public readonly record struct CudaMemoryStats(long Allocated, long PeakAllocated, long Reserved);

/// <summary>Reads and resets the CUDA caching allocator's statistics (libtorch 2.9 or newer with CUDA).</summary>
public static class CudaMemory
{
    /// <summary>The statistics of a device.</summary>
    /// <param name="deviceIndex">The CUDA device index.</param>
    /// <returns>Allocated, peak allocated and reserved bytes.</returns>
    /// <exception cref="TorchException">No CUDA, or a libtorch older than 2.9.</exception>
    public static CudaMemoryStats Stats(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        long allocated, peak, reserved;
        unsafe
        {
            Tensor.Check(NativeMethods.msft_cuda_memory_stats(deviceIndex, &allocated, &peak, &reserved), $"cuda_memory_stats({deviceIndex})");
        }

        return new CudaMemoryStats(allocated, peak, reserved);
    }

    /// <summary>Sets the peak of <see cref="Stats"/> to the current allocation (torch.cuda.reset_peak_memory_stats).</summary>
    /// <param name="deviceIndex">The CUDA device index.</param>
    /// <exception cref="TorchException">No CUDA, or a libtorch older than 2.9.</exception>
    public static void ResetPeak(int deviceIndex = 0)
    {
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_cuda_reset_peak_memory(deviceIndex), $"cuda_reset_peak_memory({deviceIndex})");
    }
}
