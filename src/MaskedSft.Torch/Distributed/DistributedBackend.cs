// The c10d backend a process group communicates through.
namespace MaskedSft.Torch.Distributed;

/// <summary>The c10d backend of a <see cref="ProcessGroup"/>.</summary>
public enum DistributedBackend
{
    /// <summary>Gloo: CPU tensors over TCP (every libtorch build here has it).</summary>
    Gloo = 0,

    /// <summary>NCCL: CUDA tensors, one GPU per process (only in a native library built against CUDA libtorch with
    /// nccl.h).</summary>
    Nccl = 1,
}
