// The smallest model view (the testing kit's): a batch of token ids in, logits out, and its parameters: a batch of token ids in, logits out, and its parameters.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models;

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
