// libtorch's Kineto profiler (torch.profiler's engine): CPU operators and CUDA kernels of a region, saved as a Chrome trace.
namespace MaskedSft.Torch;

/// <summary>
/// Records what libtorch runs between <see cref="Start"/> and <see cref="Stop"/> (CPU operators and, on CUDA, every
/// kernel and copy with its device time) and saves it as a Chrome trace JSON (chrome://tracing, ui.perfetto.dev,
/// bench/GpuTrainStep/profile_summary.py), as torch.profiler does. Needs libtorch 2.x built with Kineto (PyTorch's
/// builds are); on libtorch 1.13 both calls throw a <see cref="TorchException"/> that says so. One region at a time per
/// process.
/// </summary>
public static class TorchProfiler
{
    /// <summary>Whether a profiling region is open.</summary>
    public static bool IsRunning
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return Tensor.Check(NativeMethods.msft_profiler_is_running(), "profiler_is_running") == 1;
        }
    }

    /// <summary>Starts recording on this thread (and on the autograd threads its backward passes reach).</summary>
    /// <param name="cuda">Record CUDA kernels and copies too (needs a CUDA libtorch; CPU operators are always recorded).</param>
    /// <param name="recordShapes">Record every operator's input shapes (larger traces).</param>
    /// <exception cref="TorchException">libtorch 1.13, a region already open, or the profiler failed to start.</exception>
    public static void Start(bool cuda = true, bool recordShapes = false)
    {
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_profiler_start(cuda, recordShapes), "profiler_start");
    }

    /// <summary>Stops recording and writes the Chrome trace JSON. Synchronize the device first
    /// (<see cref="TorchOps.CudaSynchronize"/>) so the kernels of the region have finished.</summary>
    /// <param name="chromeTracePath">Where the trace is written (its folder must exist).</param>
    /// <exception cref="TorchException">No region open, libtorch 1.13, or libtorch without Kineto (no trace written).</exception>
    public static void Stop(string chromeTracePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(chromeTracePath);
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_profiler_stop(chromeTracePath), "profiler_stop");
        if (!File.Exists(chromeTracePath))
        {
            throw new TorchException($"profiler_stop: no trace was written to {chromeTracePath} (is libtorch built with Kineto?)");
        }
    }
}
