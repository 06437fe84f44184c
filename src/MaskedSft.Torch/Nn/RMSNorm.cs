// Root-mean-square normalization over the last dimension with a learned scale (Llama/Qwen style).
namespace MaskedSft.Torch.Nn;

/// <summary>x / sqrt(mean(x^2) + eps) * weight over the last dimension; weight starts at 1.</summary>
#pragma warning disable CA1707, IDE1006 // the conventional name
public sealed class RMSNorm : Module<Tensor, Tensor>
#pragma warning restore CA1707, IDE1006
{
    /// <summary>Creates the layer.</summary>
    /// <param name="dim">The size of the last dimension.</param>
    /// <param name="eps">Added to the mean square.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> is not positive.</exception>
    public RMSNorm(long dim, double eps = 1e-6, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Eps = eps;
        using var scope = new DisposeScope();
        Weight = RegisterParameter("weight", new Parameter(TorchOps.Ones([dim], dtype, device)));
    }

    /// <summary>Added to the mean square.</summary>
    public double Eps { get; }

    /// <summary>The scale (dim).</summary>
    public Parameter Weight { get; }

    /// <summary>Normalizes.</summary>
    /// <param name="input">(..., dim).</param>
    /// <returns>The normalized tensor.</returns>
    public override Tensor Forward(Tensor input) => TorchOps.RmsNorm(input, Weight, Eps);
}
