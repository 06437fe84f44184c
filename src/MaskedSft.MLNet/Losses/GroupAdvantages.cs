// GRPO group-relative advantages from scalar rewards and group ids: centre on the group mean, scale by group/batch std or not.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Losses;

/// <summary>
/// Group-relative advantages (DeepSeekMath GRPO, outcome supervision): each row's reward centred on the mean of its group
/// (the completions of one prompt), then scaled per <see cref="RewardScaling"/>:
/// <c>A_i = (r_i - mean_g) / (std_g + ε)</c> (group), <c>(r_i - mean_g) / (std_batch + ε)</c> (batch) or <c>r_i - mean_g</c>
/// (none). Standard deviations are unbiased (n - 1). Rows of a zero-variance group (one member, or every reward equal:
/// max == min) get exactly 0 and are flagged in <see cref="GroupAdvantagesResult.ZeroVariance"/>.
/// Groups are given by ids, in any order; a (B, B) membership matrix keeps it to tensor ops.
/// </summary>
public static class GroupAdvantages
{
    /// <summary>Computes the advantages.</summary>
    /// <param name="rewards">(B) floating rewards (finite).</param>
    /// <param name="groupIds">(B) integer group ids.</param>
    /// <param name="scaling">group, batch or none.</param>
    /// <param name="epsilon">Added to the std before dividing (e.g. 1e-4 as TRL; must be positive).</param>
    /// <returns>The advantages and the zero-variance rows (caller's dispose scope).</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">The shapes are not (B) and (B).</exception>
    /// <exception cref="ArgumentOutOfRangeException">Epsilon is not positive and finite, or the scaling is undefined.</exception>
    public static GroupAdvantagesResult Compute(Tensor rewards, Tensor groupIds, RewardScaling scaling, double epsilon = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(groupIds);
        if (!double.IsFinite(epsilon) || epsilon <= 0)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be a positive finite number (e.g. 1e-4).");
        if (rewards.Dim != 1 || groupIds.Dim != 1 || rewards.Size(0) != groupIds.Size(0))
        {
            throw new ArgumentException(
                $"group advantages need rewards (B) and group ids (B); got [{string.Join(", ", rewards.Shape)}] and [{string.Join(", ", groupIds.Shape)}].",
                nameof(groupIds));
        }

        using var scope = new DisposeScope();
        var b = rewards.Size(0);
        var r = rewards;                                                                     // (B)
        var ids = groupIds.To(rewards.Device, ScalarType.Int64);
        var same = ids.Unsqueeze(1).Eq(ids.Unsqueeze(0));                                    // (B, B) bool
        var member = same.To(r.DType);                                                       // (B, B)
        var count = member.Sum(1);                                                           // (B)
        var mean = member.Matmul(r).Div(count);                                              // (B)
        var diff = r.Unsqueeze(0).Sub(mean.Unsqueeze(1)).Mul(member);                        // (B, B)
        var std = diff.Square().Sum(1).Div(count.Sub(1.0).ClampMin(1.0)).Sqrt();             // (B)
        var row = r.Unsqueeze(0).Expand(b, b);                                               // (B, B)
        var high = TorchOps.Where(same, row, TorchOps.FullLike(row, double.NegativeInfinity)).Max(1).Values; // (B)
        var low = TorchOps.Where(same, row, TorchOps.FullLike(row, double.PositiveInfinity)).Min(1).Values;  // (B)
        var zero = high.Le(low);                                                             // (B) one member or all equal
        var centered = r.Sub(mean);                                                          // (B)
        var scaled = scaling switch
        {
            RewardScaling.Group => centered.Div(std.Add(epsilon)),
            RewardScaling.Batch => centered.Div(BatchStd(r).Add(epsilon)),
            RewardScaling.None => centered,
            _ => throw new ArgumentOutOfRangeException(nameof(scaling), scaling, "Unknown reward scaling."),
        };
        var advantages = TorchOps.Where(zero, TorchOps.ZerosLike(scaled), scaled);           // (B)
        var groupStd = TorchOps.Where(count.Gt(1.0), std, TorchOps.ZerosLike(std));
        return new GroupAdvantagesResult(advantages.MoveToOuterScope(), zero.MoveToOuterScope(), mean.MoveToOuterScope(), groupStd.MoveToOuterScope());
    }

    private static Tensor BatchStd(Tensor r)
    {
        var n = r.Size(0);
        if (n < 2) return TorchOps.ZerosLike(r.Sum());
        return r.Sub(r.Mean()).Square().Sum().Div((double)(n - 1)).Sqrt();                  // ()
    }
}
