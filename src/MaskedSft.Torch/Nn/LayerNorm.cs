// Layer normalization over the trailing dimensions with a learned scale and shift.
namespace MaskedSft.Torch.Nn;

/// <summary>Layer normalization over trailing dimensions of a given shape; weight starts at 1 and bias at 0 (PyTorch's
/// <c>nn.LayerNorm</c>, including its <c>bias=False</c>: a learned scale without a shift, as GPT configs without biases use).</summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedShape">The trailing shape normalized over (usually one size: the model width).</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="elementwiseAffine">Learn a weight (and, with <paramref name="bias"/>, a bias).</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <param name="bias">Learn a bias besides the weight (ignored without <paramref name="elementwiseAffine"/>).</param>
    /// <exception cref="ArgumentException">The shape is empty.</exception>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, ScalarType dtype = ScalarType.Float32, Device? device = null, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0)
        {
            throw new ArgumentException("the normalized shape must have at least one dimension", nameof(normalizedShape));
        }

        _shape = (long[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            using var scope = new DisposeScope();
            Weight = RegisterParameter("weight", new Parameter(TorchOps.Ones(_shape, dtype, device)));
            if (bias) Bias = RegisterParameter("bias", new Parameter(TorchOps.Zeros(_shape, dtype, device)));
        }
    }

    /// <summary>Creates the layer over one trailing dimension.</summary>
    /// <param name="dim">The size of the last dimension.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="bias">Learn a bias besides the weight.</param>
    public LayerNorm(long dim, double eps = 1e-5, bool bias = true)
        : this([dim], eps, bias: bias)
    {
    }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The scale, or null.</summary>
    public Parameter? Weight { get; }

    /// <summary>The shift, or null (no affine parameters, or bias off).</summary>
    public Parameter? Bias { get; }

    /// <summary>Normalizes.</summary>
    /// <param name="input">(..., *normalizedShape).</param>
    /// <returns>The normalized tensor.</returns>
    public override Tensor Forward(Tensor input) => TorchOps.LayerNorm(input, _shape, Weight, Bias, Eps);
}
