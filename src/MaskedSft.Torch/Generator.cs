// A seeded random-number generator (CPU or CUDA) whose full state can be saved and restored.
namespace MaskedSft.Torch;

/// <summary>
/// A libtorch random-number generator. Pass it to the random functions of <see cref="TorchOps"/> for streams that do
/// not depend on the global seed; save <see cref="GetState"/> in checkpoints and restore it with <see cref="SetState"/>.
/// </summary>
public sealed class Generator : IDisposable
{
    private IntPtr _handle;

    private Generator(IntPtr handle, Device device)
    {
        _handle = handle;
        Device = device;
    }

    /// <summary>Frees the native generator if it was not disposed.</summary>
    ~Generator()
    {
        Free();
    }

    /// <summary>The device whose random streams this generator drives.</summary>
    public Device Device { get; }

    /// <summary>The seed last set.</summary>
    public ulong Seed
    {
        get
        {
            ulong seed;
            unsafe
            {
                Tensor.Check(NativeMethods.msft_generator_initial_seed(Handle, &seed), "generator.seed");
            }

            GC.KeepAlive(this);
            return seed;
        }
    }

    internal IntPtr Handle
    {
        get
        {
            var h = _handle;
            ObjectDisposedException.ThrowIf(h == IntPtr.Zero, this);
            return h;
        }
    }

    /// <summary>A new generator with its own state, seeded.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The generator.</returns>
    /// <exception cref="TorchException">The device is not available.</exception>
    public static Generator Create(ulong seed, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        var h = NativeMethods.msft_generator_create((int)dev.Type, dev.Index, seed);
        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative($"generator(seed={seed}, device={dev})");
        }

        return new Generator(h, dev);
    }

    /// <summary>A handle to the process-wide default generator of a device (what unseeded random calls use).</summary>
    /// <param name="device">The device (CPU when null).</param>
    /// <returns>The generator; disposing it does not affect the default generator.</returns>
    /// <exception cref="TorchException">The device is not available.</exception>
    public static Generator GetDefault(Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? Device.Cpu;
        var h = NativeMethods.msft_generator_default((int)dev.Type, dev.Index);
        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative($"default_generator({dev})");
        }

        return new Generator(h, dev);
    }

    /// <summary>Reseeds the generator.</summary>
    /// <param name="seed">The seed.</param>
    public void ManualSeed(ulong seed)
    {
        Tensor.Check(NativeMethods.msft_generator_seed(Handle, seed), "generator.manual_seed");
        GC.KeepAlive(this);
    }

    /// <summary>The full state as bytes (libtorch's format for the device).</summary>
    /// <returns>The state.</returns>
    public byte[] GetState()
    {
        var h = NativeMethods.msft_generator_get_state(Handle);
        if (h == IntPtr.Zero)
        {
            throw TorchException.FromNative("generator.get_state");
        }

        GC.KeepAlive(this);
        using var state = new Tensor(h).DetachFromDisposeScope();
        return state.ToArray<byte>();
    }

    /// <summary>Restores a state produced by <see cref="GetState"/> on a generator of the same device type.</summary>
    /// <param name="state">The state bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="TorchException">The bytes are not a valid state.</exception>
    public void SetState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var tensor = Tensor.FromArray(state).DetachFromDisposeScope();
        Tensor.Check(NativeMethods.msft_generator_set_state(Handle, tensor.Handle), $"generator.set_state({state.Length} bytes)", tensor);
        GC.KeepAlive(this);
    }

    /// <summary>Frees the native generator.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (h != IntPtr.Zero)
        {
            NativeMethods.msft_generator_free(h);
        }
    }
}
