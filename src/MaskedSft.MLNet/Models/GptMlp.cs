// The feed-forward part of a transformer block: Linear(C, 4C), exact GELU, Linear(4C, C) (nanoGPT's MLP).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>Two-layer GELU MLP of width 4C.</summary>
internal sealed class GptMlp : Module<Tensor, Tensor>
{
    private readonly GptConfig _config;
    private readonly Linear _fc;     // C -> 4C
    private readonly Linear _proj;   // 4C -> C

    public GptMlp(GptConfig config, Generator scratch)
    {
        _config = config;
        long c = config.EmbeddingSize;
        _fc = RegisterModule("c_fc", new Linear(c, 4 * c, config.Bias, scratch));
        _proj = RegisterModule("c_proj", new Linear(4 * c, c, config.Bias, scratch));
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C).</summary>
    public override Tensor Forward(Tensor input)
    {
        Tensor y;
        using (var f = _fc.Forward(input))                                           // (B, T, 4C)
        using (var g = f.Gelu())
        {
            y = _proj.Forward(g);                                                    // (B, T, C)
        }

        if (!IsTraining || _config.Dropout <= 0) return y;
        using (y)
        {
            return TorchOps.Dropout(y, _config.Dropout, true);
        }
    }
}
