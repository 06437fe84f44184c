// The numeric precision of training steps: float32, bf16 autocast over float32 weights, pure bf16, or bf16 with float32 masters.
namespace MaskedSft.MLNet.Training;

/// <summary>How a training step computes (docs/architecture.md, "Precision").</summary>
public enum TrainingPrecision
{
    /// <summary><see cref="BFloat16Masters"/> on CUDA, <see cref="Float32"/> elsewhere (the CUDA choice is one constant
    /// of the engine, chosen by measurement: faster and smaller than <see cref="BFloat16Autocast"/> on every benchmarked
    /// shape; docs/architecture.md, "Precision", has the trade-off).</summary>
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

    /// <summary>bfloat16 compute with float32 master weights (the "O2" / Megatron recipe): the trainable parameters are
    /// bfloat16 and the whole forward and backward run in bfloat16 (no autocast, so activations, norms and the residual
    /// stream are bfloat16: as fast as <see cref="BFloat16"/>), while the engine keeps a float32 master copy of every
    /// trainable parameter, accumulates the micro-batches' gradients in float32, all-reduces, clips and measures the
    /// float32 master gradients and steps AdamW (float32 moments) on the masters, then rounds them into the bfloat16
    /// parameters, so small updates accumulate in the masters instead of rounding away. The masters are taken from the
    /// trainable parameters before they are cast (give the engine a float32 model to keep its exact values; a bfloat16 one
    /// is widened); the engine casts the trainable parameters, and whoever owns the model casts the rest
    /// (<see cref="Trainer"/>, the Atropos and on-policy GRPO trainers cast the whole model to bfloat16 after creating the
    /// engine). Checkpoints hold the float32 masters as the model's weights and resume loads them into the masters
    /// (<see cref="TrainingEngine{TBatch}.UseMasterWeights"/>). Memory per parameter: 2 bytes of bfloat16 weight, 4 of
    /// master, 8 of moments and, within a step, 4 of float32 gradient (bfloat16 gradients live only per micro-batch).</summary>
    BFloat16Masters = 4,
}
