// Live and peak counts of native tensor handles, for leak tests and diagnostics.
namespace MaskedSft.MLNet.Torch;

/// <summary>Counts of native tensor handles held by managed <see cref="Tensor"/>s (process-wide).</summary>
public static class TensorCounters
{
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

    /// <summary>Sets <see cref="Peak"/> to the current <see cref="Live"/> count.</summary>
    public static void ResetPeak()
    {
        NativeMethods.EnsureLoaded();
        NativeMethods.msft_tensor_reset_peak();
    }
}
