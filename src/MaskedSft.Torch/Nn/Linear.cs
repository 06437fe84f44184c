// Fully connected layer y = x W^T + b, initialized as PyTorch's nn.Linear, with an optional output adapter (LoRA).
namespace MaskedSft.Torch.Nn;

/// <summary>y = x W^T + b with W (out, in) and b (out); weights and bias start uniform in ±1/sqrt(in) (as nn.Linear).</summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="hasBias">Whether to add a bias.</param>
    /// <param name="generator">Generator for the initial values (the default one when null).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is not positive.</exception>
    public Linear(long inFeatures, long outFeatures, bool hasBias = true, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : this(inFeatures, outFeatures, hasBias, dtype, device, initialize: true, generator)
    {
    }

    private Linear(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device? device, bool initialize, Generator? generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using var scope = new DisposeScope();
        Weight = RegisterParameter("weight", new Parameter(initialize
            ? Uniform([outFeatures, inFeatures], bound, generator, dtype, device)
            : TorchOps.Empty([outFeatures, inFeatures], dtype, device)));
        if (hasBias)
        {
            Bias = RegisterParameter("bias", new Parameter(initialize
                ? Uniform([outFeatures], bound, generator, dtype, device)
                : TorchOps.Zeros([outFeatures], dtype, device)));
        }
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }

    /// <summary>Output features.</summary>
    public long OutFeatures { get; }

    /// <summary>The weight (out, in).</summary>
    public Parameter Weight { get; }

    /// <summary>The bias (out), or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>An adapter applied to every output of <see cref="Forward"/> (LoRA), or null (the default: plain
    /// <c>x W^T + b</c>). Not owned by the layer: see <see cref="ILinearAdapter"/>.</summary>
    public ILinearAdapter? Adapter { get; set; }

    /// <summary>A layer whose weight is left uninitialised (and bias zero), for weights a loader fills next: no random
    /// numbers are drawn, which matters for billions of parameters.</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="hasBias">Whether to add a bias.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is not positive.</exception>
    public static Linear Uninitialized(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        new(inFeatures, outFeatures, hasBias, dtype, device, initialize: false, generator: null);

    /// <summary>Applies the layer, then its <see cref="Adapter"/> when one is attached.</summary>
    /// <param name="input">(..., in).</param>
    /// <returns>(..., out).</returns>
    /// <exception cref="TorchException">The last dimension is not <see cref="InFeatures"/>.</exception>
    public override Tensor Forward(Tensor input)
    {
        var output = TorchOps.Linear(input, Weight, Bias);                           // (..., out)
        return Adapter is { } adapter ? adapter.Forward(this, input, output) : output;
    }

    /// <summary>Values uniform in [-bound, bound).</summary>
    internal static Tensor Uniform(ReadOnlySpan<long> shape, double bound, Generator? generator, ScalarType dtype, Device? device)
    {
        var u = TorchOps.Rand(shape, generator, ScalarType.Float32, device ?? generator?.Device);
        var scaled = (u * (2 * bound)) - bound;
        return dtype == ScalarType.Float32 ? scaled : scaled.To(dtype);
    }
}
