// A one-line description of any causal LM for logs, reports and error messages.
using System.Globalization;

namespace MaskedSft.MLNet.Models;

/// <summary>Describes a model by what <see cref="ICausalLm"/> exposes.</summary>
public static class CausalLmDescription
{
    /// <summary>One line: architecture, widths, vocabulary, longest sequence, parameter count, dtype and device.</summary>
    /// <param name="model">The model.</param>
    /// <returns>E.g. <c>tiny-gpt, hidden 64, vocabulary 512, up to 32 positions, 119,872 parameters, Float32 on cpu</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static string Of(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = model.NamedParameters().Sum(p => p.Parameter.NumberOfElements);
        return string.Create(CultureInfo.InvariantCulture,
            $"{model.Architecture}, hidden {model.HiddenSize}, vocabulary {model.VocabSize}, up to {model.MaxSequenceLength} positions, {parameters:N0} parameters, {model.DType} on {model.Device}");
    }
}
