// The GRPO advantages of a batch of scored rows and which rows sat in zero-variance groups.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>What <see cref="GroupAdvantages.Compute"/> returns; disposing frees the tensors.</summary>
/// <param name="Advantages">(B) one advantage per row (0 for a row of a zero-variance group).</param>
/// <param name="ZeroVariance">(B) bool: the row's group has a single member or all-equal rewards.</param>
/// <param name="GroupMean">(B) the mean reward of each row's group.</param>
/// <param name="GroupStd">(B) the unbiased std of each row's group's rewards (0 for a single member).</param>
public sealed record GroupAdvantagesResult(Tensor Advantages, Tensor ZeroVariance, Tensor GroupMean, Tensor GroupStd) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Advantages.Dispose();
        ZeroVariance.Dispose();
        GroupMean.Dispose();
        GroupStd.Dispose();
    }
}
