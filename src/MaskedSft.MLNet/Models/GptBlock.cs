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

    /// <summary>x (B, T, C) -&gt; (B, T, C); <paramref name="allowed"/> as <see cref="CausalSelfAttention.Forward"/>.
    /// Every intermediate is disposed once consumed (the caller keeps <paramref name="x"/>).</summary>
    public Tensor Forward(Tensor x, Tensor? allowed)
    {
        Tensor mid;
        using (var h = _ln1.Forward(x))                                              // (B, T, C)
        using (var a = _attention.Forward(h, allowed))
        {
            mid = x.Add(a);
        }

        using (mid)
        using (var h = _ln2.Forward(mid))
        using (var m = _mlp.Forward(h))
        {
            return mid.Add(m);                                                       // (B, T, C)
        }
    }
}
