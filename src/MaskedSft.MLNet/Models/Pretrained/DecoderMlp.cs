// The SwiGLU MLP of Llama/Qwen decoder layers: down(silu(gate(x)) * up(x)).
using MaskedSft.Torch;
using MaskedSft.Torch.Nn;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>gate_proj, up_proj (C → I) and down_proj (I → C), with Hugging Face's names.</summary>
internal sealed class DecoderMlp : Module
{
    public DecoderMlp(PretrainedLmConfig config, ScalarType dtype, Device device)
    {
        var bias = config.HasMlpBias;
        Gate = RegisterModule("gate_proj", Linear.Uninitialized(config.HiddenSize, config.IntermediateSize, bias, dtype, device));
        Up = RegisterModule("up_proj", Linear.Uninitialized(config.HiddenSize, config.IntermediateSize, bias, dtype, device));
        Down = RegisterModule("down_proj", Linear.Uninitialized(config.IntermediateSize, config.HiddenSize, bias, dtype, device));
    }

    public Linear Gate { get; }

    public Linear Up { get; }

    public Linear Down { get; }

    /// <summary>x (B, T, C) → (B, T, C).</summary>
    public Tensor Forward(Tensor x) => Down.Forward(TorchOps.SwiGlu(Gate.Forward(x), Up.Forward(x)));
}
