// A scope in which autograd records nothing on this thread (inference, optimizer-like updates, evaluation).
namespace MaskedSft.Torch;

/// <summary>
/// Turns gradient recording off on this thread until disposed, then restores the previous mode. Nestable; dispose on
/// the thread that created it.
/// </summary>
public sealed class NoGradScope : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    /// <summary>Disables gradient recording on this thread.</summary>
    public NoGradScope()
    {
        NativeMethods.EnsureLoaded();
        _previous = NativeMethods.msft_grad_enabled() != 0;
        NativeMethods.msft_set_grad_enabled(false);
    }

    /// <summary>True when autograd records operations on this thread.</summary>
    public static bool IsGradEnabled
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_grad_enabled() != 0;
        }
    }

    /// <summary>Restores the gradient mode that was active when the scope was created.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMethods.msft_set_grad_enabled(_previous);
    }
}
