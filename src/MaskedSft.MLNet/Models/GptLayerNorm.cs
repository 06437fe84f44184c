// LayerNorm with an optional bias (nanoGPT's LayerNorm; PyTorch 1.13's nn.LayerNorm cannot drop only the bias).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>LayerNorm over the last dimension with a weight and an optional bias (eps 1e-5).</summary>
internal sealed class GptLayerNorm : Module<Tensor, Tensor>
{
    private readonly long[] _shape;
    private readonly Parameter _weight;   // (C)
    private readonly Parameter? _bias;    // (C)

    public GptLayerNorm(long width, bool bias)
    {
        _shape = [width];
        using var scope = new DisposeScope();
        _weight = RegisterParameter("weight", new Parameter(TorchOps.Ones([width])));
        if (bias) _bias = RegisterParameter("bias", new Parameter(TorchOps.Zeros([width])));
    }

    /// <summary>x (..., C) -&gt; (..., C).</summary>
    public override Tensor Forward(Tensor input) => TorchOps.LayerNorm(input, _shape, _weight, _bias);
}
