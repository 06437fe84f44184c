// The feed-forward part of a transformer block: Linear(C, 4C), exact GELU, Linear(4C, C) (nanoGPT's MLP).
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>Two-layer GELU MLP of width 4C.</summary>
internal sealed class GptMlp
{
    private readonly GptConfig _config;
    private readonly Parameter _fcWeight;    // (4C, C)
    private readonly Parameter? _fcBias;     // (4C)
    private readonly Parameter _projWeight;  // (C, 4C)
    private readonly Parameter? _projBias;   // (C)

    public GptMlp(GptConfig config, GptParameters parameters, string prefix)
    {
        _config = config;
        long c = config.EmbeddingSize;
        _fcWeight = parameters.Normal($"{prefix}.c_fc.weight", [4 * c, c], 0.02);
        _fcBias = config.Bias ? parameters.Constant($"{prefix}.c_fc.bias", [4 * c], 0.0) : null;
        _projWeight = parameters.Normal($"{prefix}.c_proj.weight", [c, 4 * c], 0.02 / Math.Sqrt(2.0 * config.Layers));
        _projBias = config.Bias ? parameters.Constant($"{prefix}.c_proj.bias", [c], 0.0) : null;
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C).</summary>
    public Tensor Forward(Tensor x, bool training)
    {
        var hidden = TorchOps.Linear(x, _fcWeight, _fcBias).Gelu();                  // (B, T, 4C)
        var y = TorchOps.Linear(hidden, _projWeight, _projBias);                      // (B, T, C)
        if (training && _config.Dropout > 0) y = TorchOps.Dropout(y, _config.Dropout, true);
        return y;
    }
}
