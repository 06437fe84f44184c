// Dropout layer: active in training mode, identity in evaluation mode.
namespace MaskedSft.Torch.Nn;

/// <summary>Zeroes elements with probability p (scaling the rest by 1/(1-p)) in training mode; identity in eval mode.</summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1.0);
        P = p;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>Applies dropout when training.</summary>
    /// <param name="input">The input.</param>
    /// <returns>The result.</returns>
    public override Tensor Forward(Tensor input) => TorchOps.Dropout(input, P, IsTraining);
}
