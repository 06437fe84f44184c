// Groups from GET /batch -> RlBatch micro-batches aligned to targets: tokens, loss masks, advantages, temperatures, log-probs.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>
/// Turns the groups of one Atropos batch into <see cref="RlBatch"/>es (seed 002's AtroposBatchProcessor). For a sequence of
/// L tokens x: <c>InputIds[t] = x[t]</c>, <c>TargetIds[t] = x[t+1]</c> for t &lt; L-1; <c>LossMask[t] = 1</c> where
/// <c>masks[t+1] ≠ -100</c> (the mask must then hold x[t+1]); advantages are the group's token-level
/// <c>advantages[t+1]</c> or the sequence's advantage from its score (<see cref="AtroposProcessorOptions.ScoreNormalization"/>),
/// written at trained positions, 0 where <c>overrides[i].set_advantage_to_zero</c>; old log-probs are
/// <c>inference_logprobs[t+1]</c> and reference log-probs <c>ref_logprobs[t+1]</c> at trained positions; the temperature is
/// <c>overrides[i].temperature</c>, else <c>generation_params.temperature</c>, else <c>group_overrides.temperature</c>, else 1.
/// Rows are padded to T = max(L) - 1 rounded up to <see cref="AtroposProcessorOptions.PadToMultiple"/> (pad id in the
/// inputs, -100 in the targets, 0 elsewhere). Every row of a group shares its group id (its index in the batch). Bad input is
/// an <see cref="InvalidDataException"/> naming the group, the sequence, the position and the field.
/// </summary>
public sealed class AtroposBatchProcessor
{
    /// <summary>The mask value of positions that are not trained.</summary>
    public const int MaskedValue = -100;

    /// <summary>Creates a processor.</summary>
    /// <param name="options">The options; null = defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public AtroposBatchProcessor(AtroposProcessorOptions? options = null)
    {
        Options = options ?? new AtroposProcessorOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public AtroposProcessorOptions Options { get; }

    /// <summary>Processes one batch into micro-batches of <paramref name="rowsPerMicroBatch"/> rows (in group order; the last
    /// may be smaller), all of the same length T.</summary>
    /// <param name="groups">The batch's groups.</param>
    /// <param name="rowsPerMicroBatch">Rows per micro-batch; null = one micro-batch of all sequences.</param>
    /// <returns>The micro-batches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="groups"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rowsPerMicroBatch"/> is not positive.</exception>
    /// <exception cref="InvalidDataException">A group is malformed; the message names it.</exception>
    public IReadOnlyList<RlBatch> Process(IReadOnlyList<AtroposScoredData> groups, int? rowsPerMicroBatch = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (rowsPerMicroBatch is { } per) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(per, nameof(rowsPerMicroBatch));
        if (groups.Count == 0) throw new InvalidDataException("the Atropos batch has no groups.");
        var sequences = 0;
        var longest = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            Check(groups[g], g);
            sequences += groups[g].Count;
            foreach (var tokens in groups[g].Tokens) longest = Math.Max(longest, KeptLength(tokens.Length));
        }

        var length = RoundUp(longest - 1, Options.PadToMultiple);
        var withOld = Options.UseInferenceLogProbs && groups.All(g => g.InferenceLogProbs is not null);
        var withRef = Options.UseReferenceLogProbs && groups.All(g => g.RefLogProbs is not null);
        var rowsPer = rowsPerMicroBatch ?? sequences;
        var batches = new List<RlBatch>();
        var remaining = sequences;
        RlBatch? current = null;
        var row = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            var advantages = SequenceAdvantages(group);
            for (var i = 0; i < group.Count; i++)
            {
                if (current is null || row == current.Rows)
                {
                    current = new RlBatch(Math.Min(rowsPer, remaining), length, withOld, withRef, Options.PadId);
                    batches.Add(current);
                    row = 0;
                }

                FillRow(current, row, group, g, i, advantages[i]);
                row++;
                remaining--;
            }
        }

        return batches;
    }

    private void FillRow(RlBatch batch, int row, AtroposScoredData group, int g, int i, double sequenceAdvantage)
    {
        var tokens = group.Tokens[i];
        var masks = group.Masks[i];
        var kept = KeptLength(tokens.Length);
        var targets = kept - 1;
        var inputIds = batch.Row(batch.InputIds, row);
        var targetIds = batch.Row(batch.TargetIds, row);
        var lossMask = batch.Row(batch.LossMask, row);
        var adv = batch.Row(batch.Advantages, row);
        var old = batch.OldLogProbs is { } o ? batch.Row(o, row) : default;
        var reference = batch.ReferenceLogProbs is { } rl ? batch.Row(rl, row) : default;
        var zero = IsTrue(Override(group, i, "set_advantage_to_zero"));
        var tokenAdvantages = group.Advantages?[i];
        var prompt = -1;
        for (var t = 0; t < targets; t++)
        {
            inputIds[t] = tokens[t];
            targetIds[t] = tokens[t + 1];
            if (masks[t + 1] == MaskedValue) continue;
            if (prompt < 0) prompt = t + 1;
            lossMask[t] = 1f;
            adv[t] = zero ? 0f : (float)(tokenAdvantages is null ? sequenceAdvantage : tokenAdvantages[t + 1]);
            if (!old.IsEmpty)
            {
                var lp = group.InferenceLogProbs![i][t + 1];
                if (!double.IsFinite(lp) || lp > 0)
                    throw new InvalidDataException($"Atropos group {g}, sequence {i}, position {t + 1}: 'masks' trains the token but 'inference_logprobs' holds {lp} (1.0 means not generated; a log-prob is <= 0). Hint: the environment's masks and inference log-probs disagree.");
                old[t] = (float)lp;
            }

            if (!reference.IsEmpty) reference[t] = (float)group.RefLogProbs![i][t + 1];
        }

        batch.TargetCounts[row] = targets;
        batch.PromptLengths[row] = prompt < 0 ? kept : prompt;
        batch.GroupIds[row] = g;
        batch.Scores[row] = (float)group.Scores[i];
        batch.Temperatures[row] = (float)Temperature(group, g, i);
        batch.Truncated[row] = kept < tokens.Length || IsTrue(Override(group, i, "truncated"));
    }

    /// <summary>The sequence-level advantages of a group from its scores.</summary>
    private double[] SequenceAdvantages(AtroposScoredData group)
    {
        var scores = group.Scores;
        if (Options.ScoreNormalization == AtroposScoreNormalization.None || scores.Length < 2) return (double[])scores.Clone();
        var mean = scores.Average();
        var variance = scores.Sum(s => (s - mean) * (s - mean)) / scores.Length;
        var std = Math.Max(Math.Sqrt(variance), Options.Epsilon);
        return scores.Select(s => (s - mean) / std).ToArray();
    }

    private static double Temperature(AtroposScoredData group, int g, int i)
    {
        JsonNode? node = Override(group, i, "temperature");
        var field = $"overrides[{i}].temperature";
        if (node is null && group.GenerationParams is { } gp && gp.TryGetPropertyValue("temperature", out var t1)) (node, field) = (t1, "generation_params.temperature");
        if (node is null && group.GroupOverrides is { } go && go.TryGetPropertyValue("temperature", out var t2)) (node, field) = (t2, "group_overrides.temperature");
        if (node is null) return 1.0;
        if (node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)) return value;
        throw new InvalidDataException($"Atropos group {g}, sequence {i}: {field} is {node.ToJsonString()}, expected a positive number.");
    }

    private static bool IsTrue(JsonNode? node) => node is not null && node.GetValueKind() == JsonValueKind.True;

    private static JsonNode? Override(AtroposScoredData group, int i, string key) =>
        group.Overrides is { } o && i < o.Length && o[i] is { } obj && obj.TryGetPropertyValue(key, out var value) ? value : null;

    private int KeptLength(int length) => Options.MaxLength is { } max && Options.TruncateLongSequences ? Math.Min(length, max) : length;

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Checks one group's shape and values.</summary>
    private void Check(AtroposScoredData group, int g)
    {
        string Where(int i) => $"Atropos group {g}, sequence {i}";
        if (group.Tokens is null || group.Masks is null || group.Scores is null)
            throw new InvalidDataException($"Atropos group {g}: 'tokens', 'masks' and 'scores' are required.");
        var n = group.Tokens.Length;
        if (n == 0) throw new InvalidDataException($"Atropos group {g}: 'tokens' has no sequence.");
        if (group.Masks.Length != n) throw new InvalidDataException($"Atropos group {g}: 'masks' has {group.Masks.Length} sequences, 'tokens' {n}.");
        if (group.Scores.Length != n) throw new InvalidDataException($"Atropos group {g}: 'scores' has {group.Scores.Length} values, 'tokens' {n} sequences.");
        if (group.Overrides is { } ov && ov.Length != n) throw new InvalidDataException($"Atropos group {g}: 'overrides' has {ov.Length} entries, 'tokens' {n} sequences.");
        CheckPerSequence(group.Advantages, "advantages", group, g);
        CheckPerSequence(group.InferenceLogProbs, "inference_logprobs", group, g);
        CheckPerSequence(group.RefLogProbs, "ref_logprobs", group, g);
        for (var i = 0; i < n; i++)
        {
            var tokens = group.Tokens[i] ?? throw new InvalidDataException($"{Where(i)}: 'tokens' is null.");
            var masks = group.Masks[i] ?? throw new InvalidDataException($"{Where(i)}: 'masks' is null.");
            if (!double.IsFinite(group.Scores[i])) throw new InvalidDataException($"{Where(i)}: score {group.Scores[i]} is not finite.");
            if (tokens.Length < 2) throw new InvalidDataException($"{Where(i)}: {tokens.Length} token(s); a sequence needs at least 2 (one input, one target).");
            if (masks.Length != tokens.Length) throw new InvalidDataException($"{Where(i)}: 'masks' has {masks.Length} positions, 'tokens' {tokens.Length}. Hint: masks align with tokens (-100 where not trained).");
            if (Options.MaxLength is { } max && tokens.Length > max && !Options.TruncateLongSequences)
                throw new InvalidDataException($"{Where(i)}: {tokens.Length} tokens exceed the maximum length {max}. Hint: raise --max-token-len, or let the processor truncate (--truncate).");
            for (var t = 0; t < tokens.Length; t++)
            {
                if (tokens[t] < 0 || (Options.VocabSize is { } vocab && tokens[t] >= vocab))
                    throw new InvalidDataException($"{Where(i)}, position {t}: token id {tokens[t]} is outside the vocabulary [0, {Options.VocabSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "inf"}). Hint: the environment's tokenizer must be the model's.");
                if (masks[t] != MaskedValue && masks[t] != tokens[t])
                    throw new InvalidDataException($"{Where(i)}, position {t}: 'masks' holds {masks[t]}, expected -100 (not trained) or the token id {tokens[t]}.");
            }

            if (group.Advantages?[i] is { } a)
            {
                for (var t = 0; t < a.Length; t++)
                    if (!double.IsFinite(a[t])) throw new InvalidDataException($"{Where(i)}, position {t}: advantage {a[t]} is not finite.");
            }
        }
    }

    private static void CheckPerSequence(double[][]? values, string field, AtroposScoredData group, int g)
    {
        if (values is null) return;
        if (values.Length != group.Count) throw new InvalidDataException($"Atropos group {g}: '{field}' has {values.Length} sequences, 'tokens' {group.Count}.");
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is null || values[i].Length != group.Tokens[i].Length)
                throw new InvalidDataException($"Atropos group {g}, sequence {i}: '{field}' has {values[i]?.Length ?? 0} positions, 'tokens' {group.Tokens[i].Length}. Hint: {field} align with tokens, one value per token.");
        }
    }
}
