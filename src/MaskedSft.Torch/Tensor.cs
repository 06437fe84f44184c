// The managed tensor: owns one native handle, is freed by Dispose, its dispose scope or (last resort) its finalizer.
using System.Globalization;

namespace MaskedSft.Torch;

/// <summary>
/// An n-dimensional array on the CPU or a GPU, backed by a libtorch tensor, with autograd. Every tensor created while a
/// <see cref="DisposeScope"/> is open on the thread belongs to that scope and is freed when it ends; otherwise dispose it
/// yourself (the finalizer frees forgotten ones, late).
/// </summary>
public partial class Tensor : IDisposable
{
    private IntPtr _handle;

    /// <summary>Where this tensor was created, while <see cref="TensorLeakTrace.Enabled"/> (otherwise null).</summary>
    private readonly System.Diagnostics.StackTrace? _creation = TensorLeakTrace.CaptureIfEnabled();

    /// <summary>Takes ownership of a native handle and registers the tensor with the current dispose scope.</summary>
    internal Tensor(IntPtr handle)
        : this(handle, registerInScope: true)
    {
    }

    /// <summary>Takes ownership of a native handle; registers it with the current dispose scope when asked to.</summary>
    private protected Tensor(IntPtr handle, bool registerInScope)
    {
        if (handle == IntPtr.Zero)
        {
            throw new ArgumentException("null native tensor handle", nameof(handle));
        }

        _handle = handle;
        if (registerInScope)
        {
            AttachToCurrentScope();
        }
    }

    /// <summary>Frees the native tensor if it was not disposed.</summary>
    ~Tensor()
    {
        Dispose(disposing: false);
    }

    /// <summary>True once the tensor was disposed (its native memory may be freed).</summary>
    public bool IsDisposed => _handle == IntPtr.Zero;

    /// <summary>The scope this tensor is registered with, if any.</summary>
    internal DisposeScope? OwningScope { get; set; }

    /// <summary>The native handle; throws when the tensor was disposed.</summary>
    internal IntPtr Handle
    {
        get
        {
            var h = _handle;
            if (h == IntPtr.Zero)
            {
                ThrowDisposed();
            }

            return h;
        }
    }

    /// <summary>Frees the native tensor now. Other tensors sharing its storage (views, aliases) stay valid.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes this tensor from its dispose scope and registers it with the enclosing one (or with none, so
    /// that the caller owns it). Use it for results that must outlive the step that computed them.</summary>
    /// <returns>This tensor.</returns>
    public Tensor MoveToOuterScope()
    {
        var scope = OwningScope;
        if (scope is not null)
        {
            scope.Remove(this);
            scope.Parent?.Add(this);
        }

        return this;
    }

    /// <summary>Registers a tensor that no scope owns with the dispose scope open on this thread (if any), as if it had
    /// just been created there: for results built outside every scope that are handed to the caller.</summary>
    /// <returns>This tensor.</returns>
    internal Tensor AttachToCurrentScope()
    {
        if (OwningScope is null)
        {
            DisposeScope.Current?.Add(this);
        }

        return this;
    }

    /// <summary>Removes this tensor from every dispose scope: the caller now owns it and must dispose it.</summary>
    /// <returns>This tensor.</returns>
    public Tensor DetachFromDisposeScope()
    {
        OwningScope?.Remove(this);
        return this;
    }

    /// <summary>A short description: shape, dtype and device.</summary>
    /// <returns>For example "Tensor([2, 3], Float32, cpu)".</returns>
    public override string ToString() => IsDisposed ? "Tensor(disposed)" : $"Tensor({Describe()})";

    /// <summary>Frees the native handle once.</summary>
    /// <param name="disposing">True from <see cref="Dispose()"/>, false from the finalizer.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing && !IsDisposed && _creation is not null)
        {
            TensorLeakTrace.Report(Describe(), _creation);
        }

        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero)
        {
            NativeMethods.msft_tensor_free(h);
            if (!disposing)
            {
                TensorCounters.CountFinalized();
            }
        }
    }

    /// <summary>"[2, 3] Float32 cpu" (used in error messages; never throws).</summary>
    internal string Describe()
    {
        var h = _handle;
        if (h == IntPtr.Zero)
        {
            return "a disposed tensor";
        }

        try
        {
            return string.Create(CultureInfo.InvariantCulture, $"[{string.Join(", ", Shape)}] {DType} {Device}");
        }
#pragma warning disable CA1031 // a description must never throw
        catch (Exception)
#pragma warning restore CA1031
        {
            return "a tensor";
        }
    }

    /// <summary>Wraps a new handle returned by a unary operation, or throws its native error.</summary>
    internal static Tensor Wrap(IntPtr result, string operation, Tensor a)
    {
        if (result == IntPtr.Zero)
        {
            throw TorchException.FromNative(operation, a);
        }

        GC.KeepAlive(a);
        return new Tensor(result);
    }

    /// <summary>Wraps a new handle returned by a binary operation, or throws its native error.</summary>
    internal static Tensor Wrap(IntPtr result, string operation, Tensor a, Tensor? b)
    {
        if (result == IntPtr.Zero)
        {
            throw TorchException.FromNative(operation, a, b);
        }

        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return new Tensor(result);
    }

    /// <summary>Wraps a new handle returned by an operation of three operands, or throws its native error.</summary>
    internal static Tensor Wrap(IntPtr result, string operation, Tensor a, Tensor? b, Tensor? c)
    {
        if (result == IntPtr.Zero)
        {
            throw TorchException.FromNative(operation, a, b, c);
        }

        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
        return new Tensor(result);
    }

    /// <summary>Wraps a new handle returned by an operation without tensor operands, or throws its native error.</summary>
    internal static Tensor WrapNew(IntPtr result, string operation)
    {
        if (result == IntPtr.Zero)
        {
            throw TorchException.FromNative(operation);
        }

        return new Tensor(result);
    }

    /// <summary>Throws the native error of a failed status-returning call (status &lt; 0).</summary>
    internal static int Check(int status, string operation, Tensor? a = null, Tensor? b = null)
    {
        if (status < 0)
        {
            throw TorchException.FromNative(operation, a, b);
        }

        GC.KeepAlive(a);
        GC.KeepAlive(b);
        return status;
    }

    /// <summary>Throws the native error of a failed size-returning call (result &lt; 0).</summary>
    internal static long Check(long result, string operation, Tensor? a = null)
    {
        if (result < 0)
        {
            throw TorchException.FromNative(operation, a);
        }

        GC.KeepAlive(a);
        return result;
    }

    /// <summary>The handle of an optional operand (zero when null).</summary>
    internal static IntPtr HandleOf(Tensor? t) => t is null ? IntPtr.Zero : t.Handle;

    private static void ThrowDisposed() =>
        throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (by Dispose or by its DisposeScope)");
}
