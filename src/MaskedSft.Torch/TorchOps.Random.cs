// Random numbers: the global seed and rand, randn, randint, randperm, bernoulli, multinomial with optional generators.
namespace MaskedSft.Torch;

public static partial class TorchOps
{
    /// <summary>Seeds the default generators of every device (as torch.manual_seed).</summary>
    /// <param name="seed">The seed.</param>
    public static void ManualSeed(ulong seed)
    {
        NativeMethods.EnsureLoaded();
        Tensor.Check(NativeMethods.msft_manual_seed(seed), "manual_seed");
    }

    /// <summary>Uniform values in [0, 1).</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <param name="dtype">A floating-point dtype.</param>
    /// <param name="device">The device (the generator's, else the CPU, when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">The generator's device differs from the device.</exception>
    public static Tensor Rand(ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? generator?.Device ?? Device.Cpu;
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_rand(p, shape.Length, GeneratorHandle(generator), (int)dtype, (int)dev.Type, dev.Index);
                GC.KeepAlive(generator);
                return Tensor.WrapNew(h, "rand");
            }
        }
    }

    /// <summary>Standard normal values.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <param name="dtype">A floating-point dtype.</param>
    /// <param name="device">The device (the generator's, else the CPU, when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">The generator's device differs from the device.</exception>
    public static Tensor Randn(ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? generator?.Device ?? Device.Cpu;
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_randn(p, shape.Length, GeneratorHandle(generator), (int)dtype, (int)dev.Type, dev.Index);
                GC.KeepAlive(generator);
                return Tensor.WrapNew(h, "randn");
            }
        }
    }

    /// <summary>Integers uniform in [low, high).</summary>
    /// <param name="low">Smallest value.</param>
    /// <param name="high">Exclusive upper bound.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (the generator's, else the CPU, when null).</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="TorchException">high is not above low.</exception>
    public static Tensor RandInt(long low, long high, ReadOnlySpan<long> shape, Generator? generator = null, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? generator?.Device ?? Device.Cpu;
        unsafe
        {
            fixed (long* p = shape)
            {
                var h = NativeMethods.msft_randint(low, high, p, shape.Length, GeneratorHandle(generator), (int)dtype, (int)dev.Type, dev.Index);
                GC.KeepAlive(generator);
                return Tensor.WrapNew(h, $"randint({low}, {high})");
            }
        }
    }

    /// <summary>A random permutation of 0..n-1.</summary>
    /// <param name="n">The length.</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <param name="dtype">The dtype.</param>
    /// <param name="device">The device (the generator's, else the CPU, when null).</param>
    /// <returns>The permutation.</returns>
    public static Tensor RandPerm(long n, Generator? generator = null, ScalarType dtype = ScalarType.Int64, Device? device = null)
    {
        NativeMethods.EnsureLoaded();
        var dev = device ?? generator?.Device ?? Device.Cpu;
        var h = NativeMethods.msft_randperm(n, GeneratorHandle(generator), (int)dtype, (int)dev.Type, dev.Index);
        GC.KeepAlive(generator);
        return Tensor.WrapNew(h, $"randperm({n})");
    }

    /// <summary>0/1 draws with the probabilities in <paramref name="probabilities"/>.</summary>
    /// <param name="probabilities">Values in [0, 1].</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <returns>Draws shaped and typed like the probabilities.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is null.</exception>
    public static Tensor Bernoulli(Tensor probabilities, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var h = NativeMethods.msft_bernoulli(probabilities.Handle, GeneratorHandle(generator));
        GC.KeepAlive(generator);
        return Tensor.Wrap(h, "bernoulli", probabilities);
    }

    /// <summary>Samples category indices per row of non-negative weights.</summary>
    /// <param name="probabilities">(C) or (N, C) non-negative weights.</param>
    /// <param name="samples">Draws per row.</param>
    /// <param name="replacement">Draw with replacement.</param>
    /// <param name="generator">The generator (the device's default one when null).</param>
    /// <returns>int64 indices, (samples) or (N, samples).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is null.</exception>
    public static Tensor Multinomial(Tensor probabilities, long samples, bool replacement = false, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var h = NativeMethods.msft_multinomial(probabilities.Handle, samples, replacement, GeneratorHandle(generator));
        GC.KeepAlive(generator);
        return Tensor.Wrap(h, "multinomial", probabilities);
    }

    private static IntPtr GeneratorHandle(Generator? generator) => generator is null ? IntPtr.Zero : generator.Handle;
}
