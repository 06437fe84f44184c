// A linear projection of a pretrained model (q_proj, k_proj, ..., down_proj) that an adapter such as LoRA can hook into.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// y = x Wᵀ + b with Hugging Face's parameter names (<c>weight</c> (out, in), <c>bias</c> (out)), then the optional
/// <see cref="Adapter"/>. Created with uninitialised values (a loader or an initialiser fills them).
/// </summary>
public sealed class AdaptableLinear : Module
{
    /// <summary>Creates the projection with uninitialised parameters.</summary>
    /// <param name="inFeatures">Input features.</param>
    /// <param name="outFeatures">Output features.</param>
    /// <param name="hasBias">Whether there is a bias.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device.</param>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is not positive.</exception>
    public AdaptableLinear(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using var scope = new DisposeScope();
        Weight = RegisterParameter("weight", new Parameter(TorchOps.Empty([outFeatures, inFeatures], dtype, device)));
        if (hasBias) Bias = RegisterParameter("bias", new Parameter(TorchOps.Zeros([outFeatures], dtype, device)));
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }

    /// <summary>Output features.</summary>
    public long OutFeatures { get; }

    /// <summary>(out, in) the weight.</summary>
    public Parameter Weight { get; }

    /// <summary>(out) the bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>The adapter applied after the projection (null = none).</summary>
    public ILinearAdapter? Adapter { get; set; }

    /// <summary>Applies the projection and the adapter.</summary>
    /// <param name="input">(..., in).</param>
    /// <returns>(..., out).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var y = TorchOps.Linear(input, Weight, Bias);
        return Adapter is { } adapter ? adapter.Adapt(input, y) : y;
    }
}
