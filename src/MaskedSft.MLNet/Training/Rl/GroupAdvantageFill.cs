// Writes GRPO group advantages from an RlBatch's scores and group ids into its token advantages; reports zero-variance groups.
using MaskedSft.MLNet.Losses;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Fills <see cref="RlBatch.Advantages"/> with <see cref="GroupAdvantages"/> of <see cref="RlBatch.Scores"/> grouped by
/// <see cref="RlBatch.GroupIds"/>: each row's advantage is written to its trained positions (0 elsewhere). With
/// <c>skipZeroVariance</c> the rows of zero-variance groups also lose their loss mask, so they leave the loss denominators
/// (and the KL term) instead of adding zero-advantage tokens.
/// </summary>
public static class GroupAdvantageFill
{
    /// <summary>Computes and writes the advantages.</summary>
    /// <param name="batch">The batch (scores and group ids set).</param>
    /// <param name="scaling">group, batch or none.</param>
    /// <param name="epsilon">Added to the std.</param>
    /// <param name="skipZeroVariance">Clear the loss mask of zero-variance rows.</param>
    /// <returns>The groups and zero-variance counts.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    public static GroupAdvantageReport Apply(RlBatch batch, RewardScaling scaling, double epsilon = 1e-4, bool skipZeroVariance = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        float[] advantages;
        bool[] zero;
        using (var scope = new DisposeScope())
        using (var noGrad = new NoGradScope())
        {
            var rewards = Tensor.FromArray(batch.Scores.Select(s => (double)s).ToArray(), batch.Rows);             // (B) float64
            var groups = Tensor.FromArray(batch.GroupIds.Select(g => (long)g).ToArray(), batch.Rows);             // (B)
            var result = GroupAdvantages.Compute(rewards, groups, scaling, epsilon);
            advantages = result.Advantages.To(ScalarType.Float32).ToArray<float>();
            zero = result.ZeroVariance.ToArray<bool>();
        }

        var skipped = 0;
        for (var r = 0; r < batch.Rows; r++)
        {
            var mask = batch.Row(batch.LossMask, r);
            var adv = batch.Row(batch.Advantages, r);
            if (zero[r] && skipZeroVariance && mask.ContainsAnyExcept(0f))
            {
                mask.Clear();
                skipped++;
            }

            for (var t = 0; t < batch.Length; t++) adv[t] = mask[t] != 0 ? advantages[r] : 0f;
        }

        var groupsSeen = batch.GroupIds.Distinct().ToArray();
        var zeroGroups = groupsSeen.Count(g => Enumerable.Range(0, batch.Rows).Any(r => batch.GroupIds[r] == g && zero[r]));
        return new GroupAdvantageReport(groupsSeen.Length, zeroGroups, zero.Count(z => z), skipped);
    }
}
