// One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>A pre-LN transformer block.</summary>
internal sealed class GptBlock
{
    private readonly long _width;
    private readonly Parameter _ln1Weight;
    private readonly Parameter? _ln1Bias;
    private readonly CausalSelfAttention _attention;
    private readonly Parameter _ln2Weight;
    private readonly Parameter? _ln2Bias;
    private readonly GptMlp _mlp;

    public GptBlock(GptConfig config, GptParameters parameters, string prefix)
    {
        _width = config.EmbeddingSize;
        _ln1Weight = parameters.Constant($"{prefix}.ln_1.weight", [_width], 1.0);
        _ln1Bias = config.Bias ? parameters.Constant($"{prefix}.ln_1.bias", [_width], 0.0) : null;
        _attention = new CausalSelfAttention(config, parameters, $"{prefix}.attn");
        _ln2Weight = parameters.Constant($"{prefix}.ln_2.weight", [_width], 1.0);
        _ln2Bias = config.Bias ? parameters.Constant($"{prefix}.ln_2.bias", [_width], 0.0) : null;
        _mlp = new GptMlp(config, parameters, $"{prefix}.mlp");
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C).</summary>
    public Tensor Forward(Tensor x, Tensor causal, bool training)
    {
        x = x.Add(_attention.Forward(TorchOps.LayerNorm(x, [_width], _ln1Weight, _ln1Bias), causal, training));
        x = x.Add(_mlp.Forward(TorchOps.LayerNorm(x, [_width], _ln2Weight, _ln2Bias), training));
        return x;
    }
}
