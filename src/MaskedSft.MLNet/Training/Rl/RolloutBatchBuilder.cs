// Turns prompts and their sampled completions into an RlBatch: prompt + completion rows, completion-only loss mask,
// inference log-probs at the completion targets, group = prompt, truncated = no eos.
using MaskedSft.MLNet.Models.Pretrained;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Builds the <see cref="RlBatch"/> of a rollout. Row i is <c>prompt ++ completion</c> (right-padded); inputs are its tokens
/// 0..n-2 and targets tokens 1..n-1, so target t is trained exactly when it is a completion token (t ≥ P - 1 for a prompt of
/// P tokens). The generator's log-probs become the old / inference log-probs of those targets; a completion that did not
/// end with an eos id is flagged truncated. A row with an empty completion trains nothing.
/// </summary>
public static class RolloutBatchBuilder
{
    /// <summary>Builds the batch.</summary>
    /// <param name="rows">Per row: its group id, prompt ids, the generated sequence and its score.</param>
    /// <param name="temperature">The sampling temperature (written per row).</param>
    /// <param name="padId">The input id of padding.</param>
    /// <returns>The batch (advantages still 0: fill them with <see cref="GroupAdvantageFill"/>).</returns>
    /// <exception cref="ArgumentException">There are no rows or a prompt is empty.</exception>
    public static RlBatch Build(IReadOnlyList<(int Group, IReadOnlyList<int> Prompt, GeneratedSequence Completion, double Score)> rows, double temperature = 1.0, long padId = 0)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("a rollout batch needs at least one row.", nameof(rows));
        var length = Math.Max(1, rows.Max(r => r.Prompt.Count + r.Completion.TokenIds.Length) - 1);
        var batch = new RlBatch(rows.Count, length, hasOldLogProbs: true, padId: padId);
        for (var i = 0; i < rows.Count; i++)
        {
            var (group, prompt, completion, score) = rows[i];
            if (prompt.Count == 0) throw new ArgumentException($"row {i}: the prompt is empty.", nameof(rows));
            var sequence = prompt.Concat(completion.TokenIds).ToArray();
            var inputs = batch.Row(batch.InputIds, i);
            var targets = batch.Row(batch.TargetIds, i);
            var mask = batch.Row(batch.LossMask, i);
            var old = batch.Row(batch.OldLogProbs!, i);
            for (var t = 0; t < sequence.Length - 1; t++)
            {
                inputs[t] = sequence[t];
                targets[t] = sequence[t + 1];
                var k = t + 1 - prompt.Count;                          // index into the completion, when >= 0
                if (k >= 0)
                {
                    mask[t] = 1f;
                    old[t] = completion.LogProbs[k];
                }
            }

            batch.GroupIds[i] = group;
            batch.Scores[i] = (float)score;
            batch.Temperatures[i] = (float)temperature;
            batch.Truncated[i] = !completion.StoppedAtEos;
            batch.PromptLengths[i] = prompt.Count;
            batch.TargetCounts[i] = sequence.Length - 1;
        }

        return batch;
    }
}
