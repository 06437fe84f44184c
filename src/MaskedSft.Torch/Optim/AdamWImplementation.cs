// Which kernels an AdamW step runs: libtorch's per-tensor loop, multi-tensor (_foreach_) kernels, or PyTorch's fused CUDA kernel.
namespace MaskedSft.Torch.Optim;

/// <summary>How <see cref="AdamW"/> updates its parameters; every choice computes the same update over the same state
/// (so checkpoints move freely between them), they differ in kernel launches.</summary>
public enum AdamWImplementation
{
    /// <summary>libtorch's <c>torch::optim::AdamW</c>: about ten kernels per parameter tensor.</summary>
    PerTensor = 0,

    /// <summary>Multi-tensor <c>_foreach_</c> kernels over all parameters of a group, device and dtype (any libtorch, any
    /// device): a handful of launches per step (torch.optim.AdamW(foreach=True)).</summary>
    MultiTensor = 1,

    /// <summary>PyTorch's fused CUDA kernel (<c>_fused_adamw_</c>, libtorch 2.1+) for CUDA parameters
    /// (torch.optim.AdamW(fused=True)); CPU parameters and libtorch 1.13 use <see cref="MultiTensor"/>.</summary>
    Fused = 2,
}
