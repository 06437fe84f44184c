// Multi-head causal self-attention with a fused q,k,v projection (nanoGPT's CausalSelfAttention).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models;

/// <summary>Causal self-attention: <c>softmax(q k^T / sqrt(d) + causal mask) v</c> over H heads, then a projection.</summary>
internal sealed class CausalSelfAttention : Module
{
    private readonly GptConfig _config;
    private readonly Linear _attn;   // C -> 3C
    private readonly Linear _proj;   // C -> C

    public CausalSelfAttention(GptConfig config, Generator scratch)
    {
        _config = config;
        long c = config.EmbeddingSize;
        _attn = RegisterModule("c_attn", new Linear(c, 3 * c, config.Bias, scratch));
        _proj = RegisterModule("c_proj", new Linear(c, c, config.Bias, scratch));
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C); <paramref name="causal"/> is a (T, T) bool tensor, true above the diagonal.</summary>
    public Tensor Forward(Tensor x, Tensor causal)
    {
        var shape = x.Shape;
        long b = shape[0], t = shape[1], c = shape[2];
        long h = _config.Heads, d = c / h;
        var training = IsTraining && _config.Dropout > 0;
        var qkv = _attn.Forward(x);                                                   // (B, T, 3C)
        var parts = qkv.Split([c, c, c], 2);
        var q = parts[0].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var k = parts[1].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var v = parts[2].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(d));             // (B, H, T, T)
        att = att.MaskedFill(causal, double.NegativeInfinity).Softmax(-1);
        if (training) att = TorchOps.Dropout(att, _config.Dropout, true);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);                      // (B, T, C)
        y = _proj.Forward(y);
        if (training) y = TorchOps.Dropout(y, _config.Dropout, true);
        return y;
    }
}
