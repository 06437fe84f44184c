// The decoder-only architectures whose Hugging Face folders load (Llama, Qwen2/2.5, Qwen3) and what sets them apart.
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>A supported Hugging Face causal LM class.</summary>
public enum PretrainedArchitecture
{
    /// <summary><c>LlamaForCausalLM</c> (model_type <c>llama</c>): optional biases (attention_bias, mlp_bias).</summary>
    Llama,

    /// <summary><c>Qwen2ForCausalLM</c> (model_type <c>qwen2</c>, also Qwen2.5): biases on q, k and v.</summary>
    Qwen2,

    /// <summary><c>Qwen3ForCausalLM</c> (model_type <c>qwen3</c>): RMSNorm of q and k per head, explicit head_dim.</summary>
    Qwen3,
}
