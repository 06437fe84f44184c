// Log-probabilities of given token sequences under a causal LM (RL reference log-probs), projecting only the positions
// that have a target, in chunks, so the full (B, T, V) logits never exist.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// log p(ids[t + 1] | ids[0..t]) for every position of every row, computed in float32 from the model's hidden states and
/// head weight, a chunk of positions at a time (at most <c>chunkSize</c> × V logits exist at once).
/// </summary>
public static class SequenceLogProbs
{
    /// <summary>The default number of positions projected onto the vocabulary at once.</summary>
    public const int DefaultChunkSize = 512;

    /// <summary>Log-probabilities of each next token of a padded batch. Keeps the autograd graph when gradients are on
    /// (wrap in a <see cref="NoGradScope"/> for reference log-probs).</summary>
    /// <param name="model">The model.</param>
    /// <param name="inputIds">(B, T) int64 token ids, T &gt;= 2, padded left or right.</param>
    /// <param name="attentionMask">(B, T) 1 = real token, 0 = padding; null = all real.</param>
    /// <param name="chunkSize">Positions projected at once.</param>
    /// <returns>(B, T - 1) float32: entry t is log p(ids[t + 1] | ids[0..t]); 0 where ids[t] or ids[t + 1] is padding.</returns>
    /// <exception cref="ArgumentNullException">A required argument is null.</exception>
    /// <exception cref="ArgumentException">The shapes are wrong or T &lt; 2.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkSize"/> is not positive.</exception>
    public static Tensor Compute(ICausalLm model, Tensor inputIds, Tensor? attentionMask = null, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        if (inputIds.Dim != 2 || inputIds.Size(1) < 2)
            throw new ArgumentException($"log-probs need (B, T) token ids with T >= 2; got [{string.Join(", ", inputIds.Shape)}].", nameof(inputIds));
        if (attentionMask is not null && !attentionMask.Shape.AsSpan().SequenceEqual(inputIds.Shape))
            throw new ArgumentException($"the attention mask [{string.Join(", ", attentionMask.Shape)}] must have the ids' shape [{string.Join(", ", inputIds.Shape)}].", nameof(attentionMask));

        using var scope = new DisposeScope();
        var device = model.Device;
        long b = inputIds.Size(0), t = inputIds.Size(1), c = model.HiddenSize;
        var ids = inputIds.To(device, ScalarType.Int64);                                                // (B, T)
        var real = attentionMask?.To(device).Ne(0L);                                                    // (B, T)
        var input = new CausalLmInput(ids) { AttentionMask = real, PositionIds = real is null ? null : PaddedPositions(real) };
        var hidden = model.ForwardHidden(input).Narrow(1, 0, t - 1).Reshape(b * (t - 1), c);            // (B(T-1), C)
        var targets = ids.Narrow(1, 1, t - 1).Reshape(-1);                                              // (B(T-1))
        var result = TorchOps.Zeros([b * (t - 1)], ScalarType.Float32, device);                         // (B(T-1))
        var rows = real is null
            ? TorchOps.Arange(b * (t - 1), device)
            : real.Narrow(1, 0, t - 1).LogicalAnd(real.Narrow(1, 1, t - 1)).Reshape(-1).Nonzero().Reshape(-1); // (N)
        var n = rows.Size(0);
        for (long start = 0; start < n; start += chunkSize)
        {
            var chunk = rows.Narrow(0, start, Math.Min(chunkSize, n - start));                          // (n)
            var picked = HeadLogProbs.OfRows(hidden.IndexSelect(0, chunk), model.HeadWeight, targets.IndexSelect(0, chunk)); // (n)
            result = result.Scatter(0, chunk, picked);
        }

        return result.Reshape(b, t - 1).MoveToOuterScope();                                             // (B, T-1)
    }

    /// <summary>Log-probabilities of each next token of each sequence (no gradients), in batches of right-padded rows.</summary>
    /// <param name="model">The model.</param>
    /// <param name="sequences">Token id sequences of at least 2 tokens each.</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    /// <param name="chunkSize">Positions projected at once.</param>
    /// <returns>Per sequence, len - 1 values: log p(ids[i + 1] | ids[0..i]).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A sequence has fewer than 2 tokens.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static float[][] Compute(ICausalLm model, IReadOnlyList<IReadOnlyList<int>> sequences, int batchSize = 8, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        for (var i = 0; i < sequences.Count; i++)
        {
            if (sequences[i] is null || sequences[i].Count < 2)
                throw new ArgumentException($"sequence {i} has {sequences[i]?.Count ?? 0} tokens; log-probs need at least 2.", nameof(sequences));
        }

        var results = new float[sequences.Count][];
        using var noGrad = new NoGradScope();
        for (var first = 0; first < sequences.Count; first += batchSize)
        {
            using var scope = new DisposeScope();
            var batch = sequences.Skip(first).Take(batchSize).ToList();
            var (ids, mask) = PaddedBatch.Build(batch, padId: 0, leftPadding: false);
            var values = Compute(model, ids, mask, chunkSize).ToArray<float>();                         // (B(T-1))
            var width = ids.Size(1) - 1;
            for (var r = 0; r < batch.Count; r++) results[first + r] = values.AsSpan((int)(r * width), batch[r].Count - 1).ToArray();
        }

        return results;
    }

    /// <summary>Positions that count only real tokens: the first real token of a row is 0 (left or right padding).</summary>
    /// <param name="real">(B, T) bool real tokens.</param>
    /// <returns>(B, T) int64 positions; padding gets 1, as transformers' generate gives it (it is never attended).</returns>
    internal static Tensor PaddedPositions(Tensor real)
    {
        var counts = real.To(ScalarType.Int64).Cumsum(1);                                               // (B, T)
        return counts.Sub(1L).MaskedFill(real.LogicalNot(), 1L);
    }
}
