// How GRPO scales the group-centred rewards into advantages: by the group's std, the batch's std, or not at all.
namespace MaskedSft.MLNet.Losses;

/// <summary>
/// The <c>scale_rewards</c> option of GRPO. Every mode first centres a reward on its group's mean,
/// <c>r_i - mean(r_group)</c>; the modes differ in the divisor. Standard deviations are unbiased (Bessel, n - 1).
/// A group whose rewards are all equal (or that has a single member) has zero variance: its advantages are exactly 0
/// in every mode, never NaN or a huge number from a rounding-level standard deviation.
/// </summary>
public enum RewardScaling
{
    /// <summary><c>group</c> (DeepSeekMath GRPO): <c>(r_i - mean_g) / (std_g + eps)</c>.</summary>
    Group,

    /// <summary><c>batch</c>: <c>(r_i - mean_g) / (std_batch + eps)</c>, one std over every reward of the batch (more robust
    /// when a group's std is tiny).</summary>
    Batch,

    /// <summary><c>none</c> (Dr. GRPO): <c>r_i - mean_g</c>, no division (removes the question-difficulty bias).</summary>
    None,
}

/// <summary>Names of <see cref="RewardScaling"/> as written in configs and on the command line: group, batch, none.</summary>
public static class RewardScalingNames
{
    /// <summary>The name of a mode.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>group, batch or none.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined mode.</exception>
    public static string Name(RewardScaling mode) => mode switch
    {
        RewardScaling.Group => "group",
        RewardScaling.Batch => "batch",
        RewardScaling.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown reward scaling."),
    };

    /// <summary>Parses a name (group, batch, none; true = group and false = none as in TRL's boolean form).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The mode.</returns>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static RewardScaling Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "group" or "true" => RewardScaling.Group,
        "batch" => RewardScaling.Batch,
        "none" or "false" => RewardScaling.None,
        _ => throw new ArgumentException($"unknown reward scaling '{name}'. Hint: use group, batch or none.", nameof(name)),
    };
}
