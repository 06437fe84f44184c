// Seed 004's per-step data diagnostics of RL batches (arrays only): rewards, advantages, zero-std groups, context, truncation.
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// The batch-side diagnostics of one RL step (seed 004: H01 advantage scaling, H02 masking, H04 truncation, H05 reward
/// signal), computed from the step's <see cref="RlBatch"/>es without tensors. Advantage statistics are over trained tokens;
/// reward statistics over rows; a group is zero-std when its scores are all equal (or it has one member).
/// </summary>
/// <param name="Rows">Rows (sequences) in the step.</param>
/// <param name="TrainedTokens">Trained tokens.</param>
/// <param name="RowsWithoutTrainedTokens">Rows that train nothing.</param>
/// <param name="RewardMean">Mean score.</param>
/// <param name="RewardStd">Population std of the scores.</param>
/// <param name="RewardMin">Smallest score.</param>
/// <param name="RewardMax">Largest score.</param>
/// <param name="Groups">Distinct groups.</param>
/// <param name="ZeroStdFraction">Fraction of groups with zero score variance.</param>
/// <param name="AdvantageAbsMax">Largest |advantage| at a trained token.</param>
/// <param name="AdvantageAbsMean">Mean |advantage| over trained tokens.</param>
/// <param name="ContextLengthMean">Mean real length (prompt + completion) of a row.</param>
/// <param name="ContextLengthMax">Longest row.</param>
/// <param name="PromptLengthMean">Mean prompt length.</param>
/// <param name="TruncationRate">Fraction of rows flagged truncated.</param>
/// <param name="TrainedInPromptTokens">Trained targets that lie inside the prompt (target index &lt; prompt length - 1): a masking bug.</param>
public sealed record RlBatchDiagnostics(int Rows, long TrainedTokens, int RowsWithoutTrainedTokens, double RewardMean, double RewardStd,
    double RewardMin, double RewardMax, int Groups, double ZeroStdFraction, double AdvantageAbsMax, double AdvantageAbsMean,
    double ContextLengthMean, int ContextLengthMax, double PromptLengthMean, double TruncationRate, long TrainedInPromptTokens)
{
    /// <summary>Computes the diagnostics of a step's batches.</summary>
    /// <param name="batches">The step's micro-batches (at least one row in all).</param>
    /// <returns>The diagnostics.</returns>
    /// <exception cref="ArgumentException">There are no rows.</exception>
    public static RlBatchDiagnostics Of(IReadOnlyList<RlBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var scores = new List<double>();
        var groups = new Dictionary<(int Batch, int Group), (double Min, double Max, int Count)>();
        long trained = 0, inPrompt = 0;
        int empty = 0, maxLen = 0, truncated = 0;
        double advMax = 0, advSum = 0, lenSum = 0, promptSum = 0;
        for (var bi = 0; bi < batches.Count; bi++)
        {
            var batch = batches[bi];
            for (var r = 0; r < batch.Rows; r++)
            {
                var score = batch.Scores[r];
                scores.Add(score);
                var key = (bi, batch.GroupIds[r]);
                groups[key] = groups.TryGetValue(key, out var g) ? (Math.Min(g.Min, score), Math.Max(g.Max, score), g.Count + 1) : (score, score, 1);
                var targets = batch.Row(batch.TargetIds, r);
                var mask = batch.Row(batch.LossMask, r);
                var adv = batch.Row(batch.Advantages, r);
                var n = 0;
                for (var t = 0; t < batch.Length; t++)
                {
                    if (mask[t] == 0 || targets[t] == RlBatch.IgnoreIndex) continue;
                    n++;
                    var a = Math.Abs(adv[t]);
                    advMax = Math.Max(advMax, a);
                    advSum += a;
                    if (t < batch.PromptLengths[r] - 1) inPrompt++;
                }

                trained += n;
                if (n == 0) empty++;
                var length = batch.TargetCounts[r] + 1;
                lenSum += length;
                maxLen = Math.Max(maxLen, length);
                promptSum += batch.PromptLengths[r];
                if (batch.Truncated[r]) truncated++;
            }
        }

        if (scores.Count == 0) throw new ArgumentException("RL diagnostics need at least one row.", nameof(batches));
        var mean = scores.Average();
        var std = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / scores.Count);
        var zeroStd = groups.Values.Count(g => g.Count < 2 || g.Max <= g.Min);
        return new RlBatchDiagnostics(scores.Count, trained, empty, mean, std, scores.Min(), scores.Max(), groups.Count,
            (double)zeroStd / groups.Count, advMax, trained == 0 ? 0 : advSum / trained, lenSum / scores.Count, maxLen,
            promptSum / scores.Count, (double)truncated / scores.Count, inPrompt);
    }
}
