// The small model interface the validation kit works on: a batch of token ids in, logits out, and its parameters.
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Validation;

/// <summary>
/// A causal LM as the validation kit sees it. <see cref="Forward"/> must be deterministic for the checks (evaluation mode,
/// or no dropout) and must keep the autograd graph to <see cref="TrainableParameters"/>.
/// </summary>
public interface ILogitsModel
{
    /// <summary>Vocabulary size V (token ids and targets are in [0, V)).</summary>
    int VocabSize { get; }

    /// <summary>Logits for a batch.</summary>
    /// <param name="inputs">(B, T) int64 token ids.</param>
    /// <returns>(B, T, V) logits; position t predicts the target at t (the loader's Y).</returns>
    Tensor Forward(Tensor inputs);

    /// <summary>The parameters whose gradients the checks compare.</summary>
    /// <returns>The parameters.</returns>
    IEnumerable<Parameter> TrainableParameters();
}

/// <summary>The masked loss under test: logits (B, T, V), aligned targets (B, T), loss mask (B, T) -&gt; a scalar.</summary>
/// <param name="logits">(B, T, V) logits.</param>
/// <param name="targets">(B, T) int64 targets aligned with the logits.</param>
/// <param name="lossMask">(B, T) float mask, 1 = train on this target.</param>
/// <returns>The scalar loss.</returns>
public delegate Tensor MaskedLossFunction(Tensor logits, Tensor targets, Tensor lossMask);

/// <summary>Adapters to <see cref="ILogitsModel"/>.</summary>
public static class LogitsModel
{
    /// <summary>Wraps any forward function.</summary>
    /// <param name="vocabSize">V.</param>
    /// <param name="forward">(B, T) ids -&gt; (B, T, V) logits.</param>
    /// <param name="parameters">The trainable parameters.</param>
    /// <returns>The model view.</returns>
    /// <exception cref="ArgumentNullException">A delegate or the parameters are null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is not positive.</exception>
    public static ILogitsModel Create(int vocabSize, Func<Tensor, Tensor> forward, IEnumerable<Parameter> parameters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(parameters);
        return new DelegateModel(vocabSize, forward, parameters.ToList());
    }

    private sealed class DelegateModel(int vocabSize, Func<Tensor, Tensor> forward, IReadOnlyList<Parameter> parameters) : ILogitsModel
    {
        public int VocabSize => vocabSize;

        public Tensor Forward(Tensor inputs) => forward(inputs);

        public IEnumerable<Parameter> TrainableParameters() => parameters;
    }
}
