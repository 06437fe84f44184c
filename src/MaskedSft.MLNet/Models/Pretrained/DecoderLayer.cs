// One pre-norm decoder layer of Llama/Qwen: x + attn(input_layernorm(x)), then x + mlp(post_attention_layernorm(x)).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Children self_attn, mlp, input_layernorm, post_attention_layernorm (Hugging Face's names).</summary>
internal sealed class DecoderLayer : Module
{
    public DecoderLayer(PretrainedLmConfig config, ScalarType dtype, Device device)
    {
        Attention = RegisterModule("self_attn", new DecoderAttention(config, dtype, device));
        Mlp = RegisterModule("mlp", new DecoderMlp(config, dtype, device));
        InputNorm = RegisterModule("input_layernorm", new RMSNorm(config.HiddenSize, config.RmsNormEps, dtype, device));
        PostAttentionNorm = RegisterModule("post_attention_layernorm", new RMSNorm(config.HiddenSize, config.RmsNormEps, dtype, device));
    }

    public DecoderAttention Attention { get; }

    public DecoderMlp Mlp { get; }

    public RMSNorm InputNorm { get; }

    public RMSNorm PostAttentionNorm { get; }

    /// <summary>x (B, T, C) → (B, T, C); see <see cref="DecoderAttention.Forward"/> for the other arguments.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, (KvCache Cache, int Layer)? cache)
    {
        x = x.Add(Attention.Forward(InputNorm.Forward(x), cos, sin, mask, isCausal, cache));
        return x.Add(Mlp.Forward(PostAttentionNorm.Forward(x)));
    }
}
