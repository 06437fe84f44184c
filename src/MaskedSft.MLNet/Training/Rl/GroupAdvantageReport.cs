// What GroupAdvantageFill did to a batch: groups, zero-variance groups and rows, rows skipped.
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>What <see cref="GroupAdvantageFill.Apply"/> did.</summary>
/// <param name="Groups">Distinct groups in the batch.</param>
/// <param name="ZeroVarianceGroups">Groups with a single member or all-equal scores (advantage 0).</param>
/// <param name="ZeroVarianceRows">Rows in those groups.</param>
/// <param name="SkippedRows">Rows whose loss mask was cleared because their group had zero variance (skip option).</param>
public readonly record struct GroupAdvantageReport(int Groups, int ZeroVarianceGroups, int ZeroVarianceRows, int SkippedRows)
{
    /// <summary>ZeroVarianceGroups / Groups (0 for an empty batch).</summary>
    public double ZeroVarianceFraction => Groups == 0 ? 0 : (double)ZeroVarianceGroups / Groups;
}
