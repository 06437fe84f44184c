// Picks the next token from (B, V) logits: argmax, or temperature / top-k / top-p filtering and a seeded draw.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>The next-token choice of <see cref="CausalLmGenerator"/>, following transformers' logits warpers.</summary>
internal static class TokenSampler
{
    /// <summary>(B, V) float32 logits → (B) int64 tokens.</summary>
    public static Tensor Next(Tensor logits, DecodingOptions options, Generator generator)
    {
        if (!options.DoSample) return logits.Argmax(-1);                                                // (B)
        var scores = options.Temperature == 1.0 ? logits : logits.Div(options.Temperature);
        var vocab = scores.Size(-1);
        if (options.TopK > 0 && options.TopK < vocab)
        {
            var kth = scores.TopK(options.TopK).Values.Narrow(-1, options.TopK - 1, 1);                  // (B, 1)
            scores = scores.MaskedFill(scores.Lt(kth), double.NegativeInfinity);
        }

        if (options.TopP < 1.0)
        {
            var (sorted, order) = scores.TopK(vocab, largest: false);                                    // (B, V) ascending
            var cumulative = sorted.Softmax(-1).Cumsum(-1);
            var removeSorted = cumulative.Le(1.0 - options.TopP);
            var keepLast = TorchOps.Zeros([1, vocab], ScalarType.Bool, scores.Device);
            keepLast.Narrow(1, vocab - 1, 1).Fill(1.0);
            removeSorted = removeSorted.LogicalAnd(keepLast.LogicalNot());                              // the most likely token stays
            var remove = removeSorted.Scatter(1, order, removeSorted);                                   // back to vocabulary order
            scores = scores.MaskedFill(remove, double.NegativeInfinity);
        }

        return TorchOps.Multinomial(scores.Softmax(-1), 1, generator: generator).Squeeze(1);            // (B)
    }
}
