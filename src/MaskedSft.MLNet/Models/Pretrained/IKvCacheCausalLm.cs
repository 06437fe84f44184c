// A causal LM that decodes incrementally through a KV cache (what generation and RL samplers need of a model).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// A causal LM whose forward pass can continue from a <see cref="KvCache"/>: pass the (left-padded) prompt once, then one
/// token per row per step. Adapters hooked into the model's projections (LoRA) act inside these passes too.
/// </summary>
public interface IKvCacheCausalLm : ICausalLm
{
    /// <summary>The model's generation defaults (eos and pad ids, sampling settings).</summary>
    GenerationConfig GenerationConfig { get; }

    /// <summary>An empty cache for this model's layers, heads, dtype and device.</summary>
    /// <param name="batchSize">Rows B.</param>
    /// <param name="capacity">Most tokens per row (prompt + new tokens).</param>
    /// <returns>The cache; the caller disposes it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or capacity exceeds <see cref="ICausalLm.MaxSequenceLength"/>.</exception>
    KvCache CreateKvCache(int batchSize, int capacity);

    /// <summary>The final hidden states of new tokens that continue the cached ones; their keys and values join the cache.
    /// Runs without recording gradients.</summary>
    /// <param name="input">(B, T) new token ids; <see cref="CausalLmInput.AttentionMask"/> (B, T) marks padding among them
    /// (cached padding stays masked); <see cref="CausalLmInput.PositionIds"/> null = each row continues from its count of
    /// real tokens; <see cref="CausalLmInput.DocumentIds"/> must be null.</param>
    /// <param name="cache">The cache, made by <see cref="CreateKvCache"/> for this batch.</param>
    /// <returns>(B, T, C) hidden states.</returns>
    /// <exception cref="ArgumentException">The shapes do not fit the cache, it is full, or DocumentIds were given.</exception>
    Tensor ForwardHidden(CausalLmInput input, KvCache cache);
}
