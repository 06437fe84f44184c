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

    /// <summary>x (B, T, C) -&gt; (B, T, C). <paramref name="allowed"/> is null for plain causal attention, else a
    /// (B, 1, T, T) or (T, T) bool tensor, true where query i may attend key j (causal, same document, real key).
    /// Without attention dropout it runs <see cref="TorchOps.ScaledDotProductAttention"/> (flash / memory-efficient
    /// kernels on libtorch 2.x, the explicit composition on 1.13); intermediates are disposed as soon as the next
    /// operation has consumed them (autograd keeps what backward needs).</summary>
    public Tensor Forward(Tensor x, Tensor? allowed)
    {
        var shape = x.Shape;
        long b = shape[0], t = shape[1], c = shape[2];
        long h = _config.Heads, d = c / h;
        var training = IsTraining && _config.Dropout > 0;
        Tensor att;
        using (var qkv = _attn.Forward(x))                                                // (B, T, 3C)
        {
            var parts = qkv.Split([c, c, c], 2);
            using var q = Heads(parts[0], b, t, h, d);                                   // (B, H, T, d)
            using var k = Heads(parts[1], b, t, h, d);                                   // (B, H, T, d)
            using var v = Heads(parts[2], b, t, h, d);                                   // (B, H, T, d)
            foreach (var part in parts) part.Dispose();
            att = training ? ExplicitAttention(q, k, v, allowed, d) : TorchOps.ScaledDotProductAttention(q, k, v, allowed, isCausal: allowed is null, scale: 1.0 / Math.Sqrt(d)); // (B, H, T, d)
        }

        Tensor y;
        using (att)
        using (var heads = att.Transpose(1, 2))                                          // (B, T, H, d)
        using (var merged = heads.Reshape(b, t, c))                                      // (B, T, C)
        {
            y = _proj.Forward(merged);
        }

        if (training)
        {
            using var before = y;
            y = TorchOps.Dropout(before, _config.Dropout, true);
        }

        return y;
    }

    /// <summary>(B, T, C) slice -&gt; (B, H, T, d) view; the intermediate view is disposed.</summary>
    private static Tensor Heads(Tensor part, long b, long t, long h, long d)
    {
        using var view = part.View(b, t, h, d);                                            // (B, T, H, d)
        return view.Transpose(1, 2);                                                       // (B, H, T, d)
    }

    /// <summary>softmax(q k^T / sqrt(d) + mask) with dropout on the weights, then v: the path with attention dropout.</summary>
    private Tensor ExplicitAttention(Tensor q, Tensor k, Tensor v, Tensor? allowed, long d)
    {
        using var scope = new DisposeScope();
        var blocked = allowed is null
            ? TorchOps.Ones([q.Size(2), k.Size(2)], ScalarType.Bool, q.Device).Triu(1)     // (T, T)
            : allowed.LogicalNot();
        var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(d));                   // (B, H, T, T)
        att = att.MaskedFill(blocked, double.NegativeInfinity).Softmax(-1);
        att = TorchOps.Dropout(att, _config.Dropout, true);
        return att.Matmul(v).MoveToOuterScope();                                           // (B, H, T, d)
    }
}
