// Per-token log-probs of given targets from final hidden states and the head, projecting only the trained positions.
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// <c>log softmax(h·Wᵀ / τ)[target]</c> at the positions that are trained, through the masked-only head (the (B·T, V) logits
/// of other positions are never made), with one temperature τ per row (the one the tokens were sampled at). Differentiable
/// through the hidden states and the head; 0 at positions not selected.
/// </summary>
public static class TokenLogProbs
{
    /// <summary>Computes the log-probs.</summary>
    /// <param name="hidden">(B, T, C) final hidden states; <c>hidden[b, t]</c> predicts <c>targets[b, t]</c>.</param>
    /// <param name="headWeight">(V, C) the LM head's weight.</param>
    /// <param name="targets">(B, T) integer targets.</param>
    /// <param name="selected">(B, T) bool: the positions to compute (trained, real targets).</param>
    /// <param name="temperatures">(B) per-row temperatures, or null for 1.</param>
    /// <returns>(B, T) float32 log-probs, 0 where not selected.</returns>
    /// <exception cref="ArgumentNullException">A required tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes do not match.</exception>
    public static Tensor FromHidden(Tensor hidden, Tensor headWeight, Tensor targets, Tensor selected, Tensor? temperatures = null)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(headWeight);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(selected);
        var hs = hidden.Shape;
        var ts = targets.Shape;
        if (hs.Length != 3 || ts.Length != 2 || hs[0] != ts[0] || hs[1] != ts[1] || !selected.Shape.AsSpan().SequenceEqual(ts)
            || (temperatures is not null && (temperatures.Dim != 1 || temperatures.Size(0) != ts[0])))
        {
            throw new ArgumentException(
                $"token log-probs need hidden (B, T, C), targets and selection (B, T) and temperatures (B); got hidden [{string.Join(", ", hs)}], targets [{string.Join(", ", ts)}], " +
                $"selection [{string.Join(", ", selected.Shape)}], temperatures [{string.Join(", ", temperatures?.Shape ?? [])}].", nameof(hidden));
        }

        using var scope = new DisposeScope();
        long b = ts[0], t = ts[1], c = hs[2];
        var device = hidden.Device;
        var index = selected.To(device).Reshape(-1).Nonzero().Reshape(-1);                                 // (N)
        Tensor? rowTemperatures = null;                                                                   // (N)
        if (temperatures is not null)
        {
            var rowOf = TorchOps.Arange(b, device).Unsqueeze(1).Expand(b, t).Reshape(-1).IndexSelect(0, index); // (N)
            rowTemperatures = temperatures.To(device, ScalarType.Float32).IndexSelect(0, rowOf);
        }

        var picked = targets.To(device, ScalarType.Int64).Reshape(-1).IndexSelect(0, index);              // (N)
        var logProbs = HeadLogProbs.OfRows(hidden.Reshape(b * t, c).IndexSelect(0, index), headWeight, picked, rowTemperatures); // (N)
        return TorchOps.Zeros([b * t], ScalarType.Float32, device).Scatter(0, index, logProbs).Reshape(b, t).MoveToOuterScope(); // (B, T)
    }
}
