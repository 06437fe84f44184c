// How an all-reduce combines the ranks' values.
namespace MaskedSft.Torch.Distributed;

/// <summary>The combination an all-reduce applies elementwise across the ranks.</summary>
public enum ReduceOp
{
    /// <summary>The sum over the ranks.</summary>
    Sum = 0,

    /// <summary>The mean over the ranks (the sum divided by the world size; floating-point tensors only).</summary>
    Average = 1,

    /// <summary>The largest value.</summary>
    Max = 2,

    /// <summary>The smallest value.</summary>
    Min = 3,
}
