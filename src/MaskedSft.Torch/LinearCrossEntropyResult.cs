// The outputs of the chunked LM head + cross-entropy: the (reduced) loss, each row's unweighted NLL and its argmax.
namespace MaskedSft.Torch;

/// <summary>
/// Result of <see cref="TorchOps.LinearCrossEntropy"/>. Disposing frees the three tensors (they also belong to the
/// <see cref="DisposeScope"/> open when they were made).
/// </summary>
public sealed class LinearCrossEntropyResult : IDisposable
{
    internal LinearCrossEntropyResult(Tensor loss, Tensor nll, Tensor predictions)
    {
        Loss = loss;
        Nll = nll;
        Predictions = predictions;
    }

    /// <summary>The loss: (N) weighted per-row losses for <see cref="Reduction.None"/>, else a scalar. Differentiable
    /// with respect to the hidden states, the head weight and the token weights; float32 for half-precision inputs
    /// (float64 for float64 inputs).</summary>
    public Tensor Loss { get; }

    /// <summary>(N) each row's cross-entropy before its token weight, 0 where the target is the ignore index; no gradient.</summary>
    public Tensor Nll { get; }

    /// <summary>(N) int64 argmax of each row's logits (for accuracy); no gradient.</summary>
    public Tensor Predictions { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Loss.Dispose();
        Nll.Dispose();
        Predictions.Dispose();
    }
}
