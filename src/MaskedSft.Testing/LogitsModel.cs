// The masked-loss delegate the kit tests and adapters from any forward function to ILogitsModel.
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;

namespace MaskedSft.Testing;

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
