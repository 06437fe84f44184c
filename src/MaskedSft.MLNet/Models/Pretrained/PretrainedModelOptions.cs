// Where a pretrained model lives and in which dtype it computes (fp32 on the CPU, bf16 on CUDA unless chosen).
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Device and compute dtype of a pretrained model, and loading checks.</summary>
public sealed record PretrainedModelOptions
{
    /// <summary>The device of the parameters (default CPU).</summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>The compute dtype of the parameters; null = float32 on the CPU, bfloat16 on CUDA. Independent of the dtype
    /// on disk (each tensor is converted while it is copied in).</summary>
    public ScalarType? DType { get; init; }

    /// <summary>Fail when the checkpoint holds tensors the model does not use (default false: they are listed in
    /// <see cref="PretrainedCausalLm.UnusedCheckpointTensors"/>; old checkpoints carry rotary inv_freq buffers).</summary>
    public bool RejectUnexpectedTensors { get; init; }

    /// <summary>The compute dtype these options resolve to.</summary>
    public ScalarType ResolvedDType => DType ?? (Device.IsCpu ? ScalarType.Float32 : ScalarType.BFloat16);
}
