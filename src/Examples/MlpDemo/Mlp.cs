// The demo's model: Linear(1, hidden) -> GELU -> Linear(hidden, 1).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.Examples.MlpDemo;

/// <summary>A 2-layer perceptron mapping a scalar to a scalar.</summary>
internal sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Linear _hidden;
    private readonly Linear _output;

    /// <summary>Creates the layers with PyTorch's default initialization.</summary>
    public Mlp(int hidden, Generator generator, Device device)
    {
        _hidden = RegisterModule("hidden", new Linear(1, hidden, generator: generator, device: device));
        _output = RegisterModule("output", new Linear(hidden, 1, generator: generator, device: device));
    }

    /// <summary>(B, 1) -> (B, 1).</summary>
    public override Tensor Forward(Tensor input) => _output.Forward(_hidden.Forward(input).Gelu());
}
