// One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>A pre-LN transformer block (children ln_1, attn, ln_2, mlp, in nanoGPT's order).</summary>
internal sealed class GptBlock : Module
{
    private readonly LayerNorm _ln1;
    private readonly CausalSelfAttention _attention;
    private readonly LayerNorm _ln2;
    private readonly GptMlp _mlp;

    public GptBlock(GptConfig config, Generator scratch)
    {
        _ln1 = RegisterModule("ln_1", new LayerNorm(config.EmbeddingSize, bias: config.Bias));
        _attention = RegisterModule("attn", new CausalSelfAttention(config, scratch));
        _ln2 = RegisterModule("ln_2", new LayerNorm(config.EmbeddingSize, bias: config.Bias));
        _mlp = RegisterModule("mlp", new GptMlp(config, scratch));
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C).</summary>
    public Tensor Forward(Tensor x, Tensor causal)
    {
        x = x.Add(_attention.Forward(_ln1.Forward(x), causal));
        return x.Add(_mlp.Forward(_ln2.Forward(x)));
    }
}
