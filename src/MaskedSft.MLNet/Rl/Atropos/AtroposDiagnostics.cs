// Per-step numbers of an Atropos batch (seed 004's diagnostics): scores, advantages, zero-variance groups, lengths, truncation.
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>Computes the batch diagnostics the Atropos trainer writes to metrics.jsonl.</summary>
public static class AtroposDiagnostics
{
    /// <summary>The diagnostics of one processed batch: <c>groups</c>, <c>sequences</c>, <c>score_mean</c>, <c>score_std</c>
    /// (over sequences), <c>zero_std_groups</c> (fraction of groups whose scores are all equal: no signal for group-relative
    /// advantages), <c>adv_abs_max</c> and <c>adv_abs_mean</c> (over trained positions), <c>trained_tokens</c>,
    /// <c>seq_len_mean</c>, <c>seq_len_max</c>, <c>prompt_len_mean</c>, <c>truncated_frac</c>, <c>padded_len</c>.</summary>
    /// <param name="microBatches">The batch's micro-batches.</param>
    /// <param name="groups">The number of groups.</param>
    /// <returns>The values by name (a new dictionary the caller may extend).</returns>
    public static Dictionary<string, double> Of(IReadOnlyList<RlBatch> microBatches, int groups)
    {
        ArgumentNullException.ThrowIfNull(microBatches);
        var scores = new List<double>();
        var byGroup = new Dictionary<int, List<double>>();
        double advMax = 0, advSum = 0, lenSum = 0, lenMax = 0, promptSum = 0;
        long trained = 0;
        var truncated = 0;
        foreach (var b in microBatches)
        {
            for (var r = 0; r < b.Rows; r++)
            {
                scores.Add(b.Scores[r]);
                if (!byGroup.TryGetValue(b.GroupIds[r], out var list)) byGroup[b.GroupIds[r]] = list = [];
                list.Add(b.Scores[r]);
                var mask = b.Row(b.LossMask, r);
                var adv = b.Row(b.Advantages, r);
                for (var t = 0; t < b.Length; t++)
                {
                    if (mask[t] == 0) continue;
                    trained++;
                    var a = Math.Abs(adv[t]);
                    advSum += a;
                    advMax = Math.Max(advMax, a);
                }

                lenSum += b.TargetCounts[r] + 1;
                lenMax = Math.Max(lenMax, b.TargetCounts[r] + 1);
                promptSum += b.PromptLengths[r];
                if (b.Truncated[r]) truncated++;
            }
        }

        var n = Math.Max(1, scores.Count);
        var mean = scores.Count > 0 ? scores.Average() : 0;
        var std = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / n);
        var zeroStd = byGroup.Values.Count(v => v.Count > 1 && v.All(s => s == v[0]));
        return new Dictionary<string, double>
        {
            ["groups"] = groups,
            ["sequences"] = scores.Count,
            ["score_mean"] = mean,
            ["score_std"] = std,
            ["zero_std_groups"] = byGroup.Count > 0 ? (double)zeroStd / byGroup.Count : 0,
            ["adv_abs_max"] = advMax,
            ["adv_abs_mean"] = trained > 0 ? advSum / trained : 0,
            ["trained_tokens"] = trained,
            ["seq_len_mean"] = lenSum / n,
            ["seq_len_max"] = lenMax,
            ["prompt_len_mean"] = promptSum / n,
            ["truncated_frac"] = (double)truncated / n,
            ["padded_len"] = microBatches.Count > 0 ? microBatches[0].Length : 0,
        };
    }
}
