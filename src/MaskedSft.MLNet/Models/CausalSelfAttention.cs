// Multi-head causal self-attention with a fused q,k,v projection (nanoGPT's CausalSelfAttention).
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>Causal self-attention: <c>softmax(q k^T / sqrt(d) + causal mask) v</c> over H heads, then a projection.</summary>
internal sealed class CausalSelfAttention
{
    private readonly GptConfig _config;
    private readonly Parameter _attnWeight;   // (3C, C)
    private readonly Parameter? _attnBias;    // (3C)
    private readonly Parameter _projWeight;   // (C, C)
    private readonly Parameter? _projBias;    // (C)

    public CausalSelfAttention(GptConfig config, GptParameters parameters, string prefix)
    {
        _config = config;
        long c = config.EmbeddingSize;
        _attnWeight = parameters.Normal($"{prefix}.c_attn.weight", [3 * c, c], 0.02);
        _attnBias = config.Bias ? parameters.Constant($"{prefix}.c_attn.bias", [3 * c], 0.0) : null;
        // nanoGPT scales the residual projections by 1/sqrt(2 * layers).
        _projWeight = parameters.Normal($"{prefix}.c_proj.weight", [c, c], 0.02 / Math.Sqrt(2.0 * config.Layers));
        _projBias = config.Bias ? parameters.Constant($"{prefix}.c_proj.bias", [c], 0.0) : null;
    }

    /// <summary>x (B, T, C) -&gt; (B, T, C); <paramref name="causal"/> is a (T, T) bool tensor, true above the diagonal.</summary>
    public Tensor Forward(Tensor x, Tensor causal, bool training)
    {
        var shape = x.Shape;
        long b = shape[0], t = shape[1], c = shape[2];
        long h = _config.Heads, d = c / h;
        var qkv = TorchOps.Linear(x, _attnWeight, _attnBias);                       // (B, T, 3C)
        var parts = qkv.Split([c, c, c], 2);
        var q = parts[0].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var k = parts[1].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var v = parts[2].View(b, t, h, d).Transpose(1, 2);                           // (B, H, T, d)
        var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(d));             // (B, H, T, T)
        att = att.MaskedFill(causal, double.NegativeInfinity).Softmax(-1);
        if (training && _config.Dropout > 0) att = TorchOps.Dropout(att, _config.Dropout, true);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);                      // (B, T, C)
        y = TorchOps.Linear(y, _projWeight, _projBias);
        if (training && _config.Dropout > 0) y = TorchOps.Dropout(y, _config.Dropout, true);
        return y;
    }
}
