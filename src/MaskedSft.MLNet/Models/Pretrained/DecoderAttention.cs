// Grouped-query self-attention of Llama/Qwen2/Qwen3 layers: q/k/v projections (optional biases), Qwen3's per-head q/k
// RMSNorm, rotary embeddings, an optional KV cache, and the output projection.
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// H query heads share Hkv key/value heads (H / Hkv queries per group; Hkv = 1 is multi-query). Children q_proj, k_proj,
/// v_proj, o_proj and, for Qwen3, q_norm and k_norm (RMSNorm over D), with Hugging Face's names.
/// </summary>
internal sealed class DecoderAttention : Module
{
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly double _scale;

    public DecoderAttention(PretrainedLmConfig config, ScalarType dtype, Device device)
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _scale = Math.Pow(_headDim, -0.5);
        long c = config.HiddenSize, q = (long)_heads * _headDim, kv = (long)_kvHeads * _headDim;
        Query = RegisterModule("q_proj", Linear.Uninitialized(c, q, config.HasQkvBias, dtype, device));
        Key = RegisterModule("k_proj", Linear.Uninitialized(c, kv, config.HasQkvBias, dtype, device));
        Value = RegisterModule("v_proj", Linear.Uninitialized(c, kv, config.HasQkvBias, dtype, device));
        Output = RegisterModule("o_proj", Linear.Uninitialized(q, c, config.HasOutputBias, dtype, device));
        if (config.HasQkNorm)
        {
            QueryNorm = RegisterModule("q_norm", new RMSNorm(_headDim, config.RmsNormEps, dtype, device));
            KeyNorm = RegisterModule("k_norm", new RMSNorm(_headDim, config.RmsNormEps, dtype, device));
        }
    }

    public Linear Query { get; }

    public Linear Key { get; }

    public Linear Value { get; }

    public Linear Output { get; }

    public RMSNorm? QueryNorm { get; }

    public RMSNorm? KeyNorm { get; }

    /// <summary>x (B, T, C) → (B, T, C).</summary>
    /// <param name="x">(B, T, C) normalised hidden states.</param>
    /// <param name="cos">(B, T, D) rotary cos table.</param>
    /// <param name="sin">(B, T, D) rotary sin table.</param>
    /// <param name="mask">(B, 1, T, S) bool, or null.</param>
    /// <param name="isCausal">Whether the kernel adds causal order (mask null, no cache).</param>
    /// <param name="cache">The KV cache and this layer's index, or null.</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, (KvCache Cache, int Layer)? cache)
    {
        long b = x.Size(0), t = x.Size(1);
        var q = Query.Forward(x).View(b, t, _heads, _headDim);                                        // (B, T, H, D)
        var k = Key.Forward(x).View(b, t, _kvHeads, _headDim);                                        // (B, T, Hkv, D)
        var v = Value.Forward(x).View(b, t, _kvHeads, _headDim).Transpose(1, 2);                      // (B, Hkv, T, D)
        if (QueryNorm is not null) q = QueryNorm.Forward(q);
        if (KeyNorm is not null) k = KeyNorm.Forward(k);
        q = RotaryEmbedding.Apply(q.Transpose(1, 2), cos, sin);                                       // (B, H, T, D)
        k = RotaryEmbedding.Apply(k.Transpose(1, 2), cos, sin);                                       // (B, Hkv, T, D)
        if (cache is { } c) (k, v) = c.Cache.Append(c.Layer, k, v);                                  // (B, Hkv, S, D)
        if (_kvHeads != _heads)
        {
            k = RepeatKeyValue(k, _heads / _kvHeads);                                                  // (B, H, S, D)
            v = RepeatKeyValue(v, _heads / _kvHeads);
        }

        var y = TorchOps.ScaledDotProductAttention(q, k, v, mask, isCausal, _scale);                   // (B, H, T, D)
        return Output.Forward(y.Transpose(1, 2).Reshape(b, t, (long)_heads * _headDim));             // (B, T, C)
    }

    /// <summary>(B, Hkv, S, D) → (B, Hkv · groups, S, D), each key/value head repeated for its group of queries.</summary>
    private static Tensor RepeatKeyValue(Tensor x, int groups)
    {
        long b = x.Size(0), h = x.Size(1), s = x.Size(2), d = x.Size(3);
        return x.Unsqueeze(2).Expand(b, h, groups, s, d).Reshape(b, h * groups, s, d);
    }
}
