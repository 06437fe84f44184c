// One row's result of generation: the new token ids, whether an eos token ended it, and each token's log-probability.
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>The continuation of one prompt.</summary>
/// <param name="TokenIds">The new tokens (an ending eos token included).</param>
/// <param name="StoppedAtEos">Whether an eos token ended the row (false: MaxNewTokens was reached).</param>
/// <param name="LogProbs">log p(token | context) of each new token under the model's unmodified distribution
/// (temperature 1, no top-k/top-p), float32 — what an RL sampler records.</param>
#pragma warning disable CA1819 // plain result data
public sealed record GeneratedSequence(int[] TokenIds, bool StoppedAtEos, float[] LogProbs);
#pragma warning restore CA1819
