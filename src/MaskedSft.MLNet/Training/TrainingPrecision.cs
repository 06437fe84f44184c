// The numeric precision of training steps: float32, bfloat16 autocast over float32 master weights, or pure bfloat16.
namespace MaskedSft.MLNet.Training;

/// <summary>How a training step computes (docs/architecture.md, "Precision").</summary>
public enum TrainingPrecision
{
    /// <summary><see cref="BFloat16Autocast"/> on CUDA, <see cref="Float32"/> elsewhere.</summary>
    Auto = 0,

    /// <summary>Everything in the parameters' dtype (float32 models: float32 math; on CUDA with
    /// <see cref="TrainerOptions.AllowTF32"/> its matrix products use TF32).</summary>
    Float32 = 1,

    /// <summary>The forward pass under bfloat16 autocast (torch.autocast): matrix products and attention in bfloat16,
    /// norms, softmax and the loss in float32; the weights, their gradients and AdamW's moments stay float32 (master
    /// weights), so updates smaller than bfloat16's resolution are not lost.</summary>
    BFloat16Autocast = 2,

    /// <summary>Pure bfloat16: the model's parameters are bfloat16 (create or load it so: TinyGpt
    /// <c>model.To(ScalarType.BFloat16)</c>, pretrained <c>--dtype bfloat16</c>), as are gradients and moments; the least
    /// memory, but small updates round away.</summary>
    BFloat16 = 3,
}
