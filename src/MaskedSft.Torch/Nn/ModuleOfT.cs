// A module with a typed forward pass.
namespace MaskedSft.Torch.Nn;

/// <summary>A <see cref="Module"/> that maps an input to an output.</summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TOutput">The output type.</typeparam>
#pragma warning disable SA1649 // generic counterpart of Module
public abstract class Module<TInput, TOutput> : Module
#pragma warning restore SA1649
{
    /// <summary>Computes the output.</summary>
    /// <param name="input">The input.</param>
    /// <returns>The output.</returns>
    public abstract TOutput Forward(TInput input);
}
