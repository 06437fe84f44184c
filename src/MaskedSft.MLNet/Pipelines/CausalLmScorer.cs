// Scores one row with a causal LM: the masked mean cross-entropy of its supervised targets (first block) and their count.
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Per-row scoring of <see cref="CausalLmTransformer"/>: for tokens <c>x</c> and mask <c>m</c> (both one per token,
/// <c>m[i]</c> = token i is a target), the targets are positions 1..n with n = min(length - 1, block);
/// <c>Loss = mean over supervised targets of -log p(x[i] | x[0..i))</c>, NaN when there is none. Thread-safe (forward
/// passes are serialized); each call frees its tensors.
/// </summary>
internal sealed class CausalLmScorer
{
    private readonly ILogitsModel _model;
    private readonly Device _device;
    private readonly int _block;
    private readonly Lock _gate = new();

    public CausalLmScorer(ILogitsModel model, Device device, int block)
    {
        _model = model;
        _device = device;
        _block = block;
    }

    /// <summary>Scores one row.</summary>
    /// <exception cref="InvalidDataException">The mask's length differs from the tokens', or an id is outside the model's vocabulary.</exception>
    public (float Loss, int SupervisedTokens) Score(int[]? tokens, bool[]? mask)
    {
        tokens ??= []; // ML.NET hands an empty vector over as null
        mask ??= [];
        if (mask.Length != tokens.Length)
        {
            throw new InvalidDataException($"CausalLmTransformer: a row has {tokens.Length} tokens but {mask.Length} loss-mask values; they must be equal.");
        }

        int n = Math.Min(tokens.Length - 1, _block);
        int supervised = 0;
        for (int i = 1; i <= n; i++)
        {
            supervised += mask[i] ? 1 : 0;
        }

        if (supervised == 0)
        {
            return (float.NaN, 0);
        }

        var ids = new long[n + 1];
        for (int i = 0; i <= n; i++)
        {
            if ((uint)tokens[i] >= (uint)_model.VocabSize)
            {
                throw new InvalidDataException($"CausalLmTransformer: token id {tokens[i]} at position {i} is outside the model's vocabulary [0, {_model.VocabSize}).");
            }

            ids[i] = tokens[i];
        }

        float[] logProbs;
        lock (_gate)
        {
            using var scope = new DisposeScope();
            using var noGrad = new NoGradScope();
            var all = Tensor.FromSpan<long>(ids, [1, n + 1], _device);
            var inputs = all.Narrow(1, 0, n);                                                    // (1, n)
            var targets = all.Narrow(1, 1, n);                                                   // (1, n)
            var logits = _model.Forward(inputs);                                                 // (1, n, V)
            logProbs = logits.LogSoftmax(-1).Gather(-1, targets.Unsqueeze(-1)).Squeeze(-1).Cpu().ToArray<float>(); // (n)
        }

        double sum = 0;
        for (int t = 0; t < n; t++)
        {
            if (mask[t + 1])
            {
                sum -= logProbs[t];
            }
        }

        return ((float)(sum / supervised), supervised);
    }
}
