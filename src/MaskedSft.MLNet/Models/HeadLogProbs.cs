// log softmax(h·Wᵀ / τ)[target] for chosen rows of final hidden states: the one place the LM head's per-token log-probs
// are computed (generation-side log-probs in Pretrained/SequenceLogProbs, the RL objectives' Losses/TokenLogProbs).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models;

/// <summary>Per-token log-probabilities of given targets from rows of final hidden states and the LM head's weight.</summary>
public static class HeadLogProbs
{
    /// <summary>
    /// Projects only the given rows onto the vocabulary, in float32, divides by each row's temperature when given, and
    /// returns the log-probability of each row's target. Differentiable through the rows and the head; the intermediates
    /// join the current <see cref="DisposeScope"/>.
    /// </summary>
    /// <param name="hiddenRows">(N, C) hidden states, one per target.</param>
    /// <param name="headWeight">(V, C) the LM head's weight.</param>
    /// <param name="targets">(N) int64 targets.</param>
    /// <param name="temperatures">(N) float32 temperature of each row, or null for 1.</param>
    /// <returns>(N) float32 log-probs.</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    public static Tensor OfRows(Tensor hiddenRows, Tensor headWeight, Tensor targets, Tensor? temperatures = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenRows);
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(targets);
        var logits = TorchOps.Linear(hiddenRows, headWeight).To(ScalarType.Float32);                    // (N, V)
        if (temperatures is not null) logits = logits.Div(temperatures.Unsqueeze(1));
        return logits.LogSoftmax(-1).Gather(1, targets.Unsqueeze(1)).Squeeze(1);                        // (N)
    }
}
