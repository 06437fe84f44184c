// One RL micro-batch as plain arrays aligned to targets: ids, loss mask, token advantages, old/reference log-probs, per-row metadata.
namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// A batch of <see cref="Rows"/> sampled sequences of <see cref="Length"/> positions for RL objectives (GRPO, advantage-weighted
/// SFT from an Atropos server), in row-major arrays without any tensor. Every per-position array has shape (B, T) and is
/// aligned to the targets as in <see cref="Data.EpisodeBatch"/>: <c>InputIds[t]</c> is the token fed at position t,
/// <c>TargetIds[t]</c> the token after it (the one scored), and <c>LossMask</c>, <c>Advantages</c>, <c>OldLogProbs</c> and
/// <c>ReferenceLogProbs</c> refer to <c>TargetIds[t]</c>. Padding positions hold <see cref="PadId"/> in the inputs,
/// <see cref="IgnoreIndex"/> in the targets and 0 everywhere else.
/// <para>Producers: the Atropos batch processor (groups of scored sequences from a server) and the on-policy GRPO sampler.
/// Consumers: <c>GrpoObjective</c> and the weighted-SFT objective. The shape of this type is shared by both producers; change
/// it only additively.</para>
/// </summary>
public sealed class RlBatch
{
    /// <summary>The target id of padding positions (never trained).</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Allocates a zero-filled batch (targets set to <see cref="IgnoreIndex"/>, temperatures to 1, group ids to the row
    /// index, i.e. every row its own group until the producer says otherwise).</summary>
    /// <param name="rows">Rows, B.</param>
    /// <param name="length">Positions per row, T.</param>
    /// <param name="hasOldLogProbs">Whether <see cref="OldLogProbs"/> is carried (the log-probs of the policy that sampled the
    /// tokens, e.g. the inference server's); without them the importance ratio is taken against the detached current policy (1).</param>
    /// <param name="hasReferenceLogProbs">Whether <see cref="ReferenceLogProbs"/> is carried (precomputed reference log-probs for
    /// the KL term; without them an objective with a KL term computes them from its reference model).</param>
    /// <param name="padId">The input id of padding positions.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or B * T exceeds <see cref="Array.MaxLength"/>.</exception>
    public RlBatch(int rows, int length, bool hasOldLogProbs = false, bool hasReferenceLogProbs = false, long padId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)rows * length, Array.MaxLength, nameof(length));
        Rows = rows;
        Length = length;
        PadId = padId;
        var n = rows * length;
        InputIds = new long[n];
        if (padId != 0) Array.Fill(InputIds, padId);
        TargetIds = new long[n];
        Array.Fill(TargetIds, IgnoreIndex);
        LossMask = new float[n];
        Advantages = new float[n];
        OldLogProbs = hasOldLogProbs ? new float[n] : null;
        ReferenceLogProbs = hasReferenceLogProbs ? new float[n] : null;
        Temperatures = new float[rows];
        Array.Fill(Temperatures, 1f);
        GroupIds = new int[rows];
        for (var r = 0; r < rows; r++) GroupIds[r] = r;
        Scores = new float[rows];
        Truncated = new bool[rows];
        PromptLengths = new int[rows];
        TargetCounts = new int[rows];
    }

    /// <summary>Rows, B.</summary>
    public int Rows { get; }

    /// <summary>Positions per row, T.</summary>
    public int Length { get; }

    /// <summary>The input id written at padding positions.</summary>
    public long PadId { get; }

    /// <summary>The shape of every per-position array: (B, T).</summary>
    public long[] Shape => [Rows, Length];

    /// <summary>Input ids, row-major.</summary>
    public long[] InputIds { get; } // (B, T)

    /// <summary>Target ids (inputs shifted by one); <see cref="IgnoreIndex"/> at padding.</summary>
    public long[] TargetIds { get; } // (B, T)

    /// <summary>1 where the target is trained (a generated completion token), 0 elsewhere (prompt, environment text, padding).</summary>
    public float[] LossMask { get; } // (B, T)

    /// <summary>Token-level advantages (a sequence-level advantage is written to every trained position of its row).</summary>
    public float[] Advantages { get; } // (B, T)

    /// <summary>Log-probs of the targets under the policy that sampled them (inference server or the old policy), or null.
    /// Values at untrained positions are ignored.</summary>
    public float[]? OldLogProbs { get; } // (B, T)

    /// <summary>Log-probs of the targets under the reference policy, or null. Values at untrained positions are ignored.</summary>
    public float[]? ReferenceLogProbs { get; } // (B, T)

    /// <summary>The sampling temperature of each row (the policy's logits are divided by it before the log-softmax).</summary>
    public float[] Temperatures { get; } // (B)

    /// <summary>The group of each row (completions of one prompt share a group; group advantages are taken within a group).</summary>
    public int[] GroupIds { get; } // (B)

    /// <summary>The scalar reward (score) of each row.</summary>
    public float[] Scores { get; } // (B)

    /// <summary>Whether each row's completion was cut at the length limit (no end of sequence).</summary>
    public bool[] Truncated { get; } // (B)

    /// <summary>The number of prompt tokens of each row (informational: context-length diagnostics).</summary>
    public int[] PromptLengths { get; } // (B)

    /// <summary>The number of real (non-padding) targets of each row; positions from it on are padding.</summary>
    public int[] TargetCounts { get; } // (B)

    /// <summary>Whether <see cref="OldLogProbs"/> is carried.</summary>
    public bool HasOldLogProbs => OldLogProbs is not null;

    /// <summary>Whether <see cref="ReferenceLogProbs"/> is carried.</summary>
    public bool HasReferenceLogProbs => ReferenceLogProbs is not null;

    /// <summary>A writable view of one row of a per-position array.</summary>
    /// <param name="values">One of the (B, T) arrays of this batch.</param>
    /// <param name="row">The row, in [0, B).</param>
    /// <returns>T values.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="row"/> is out of range.</exception>
    public Span<T> Row<T>(T[] values, int row)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        return values.AsSpan(row * Length, Length);
    }

    /// <summary>The number of trained targets (mask ≠ 0 and target ≠ <see cref="IgnoreIndex"/>) of one row.</summary>
    /// <param name="row">The row.</param>
    /// <returns>The count.</returns>
    public int TrainedCount(int row)
    {
        var targets = Row(TargetIds, row);
        var mask = Row(LossMask, row);
        var n = 0;
        for (var t = 0; t < Length; t++) if (mask[t] != 0 && targets[t] != IgnoreIndex) n++;
        return n;
    }

    /// <summary>The trained tokens and the rows with at least one, over a window of batches (the loss denominators).</summary>
    /// <param name="window">The batches.</param>
    /// <param name="skipTruncated">Leave truncated rows out (mask_truncated_completions).</param>
    /// <returns>(tokens, sequences).</returns>
    public static (long Tokens, long Sequences) CountTrained(IReadOnlyList<RlBatch> window, bool skipTruncated)
    {
        ArgumentNullException.ThrowIfNull(window);
        long tokens = 0, sequences = 0;
        foreach (var batch in window)
        {
            for (var r = 0; r < batch.Rows; r++)
            {
                if (skipTruncated && batch.Truncated[r]) continue;
                var n = batch.TrainedCount(r);
                tokens += n;
                if (n > 0) sequences++;
            }
        }

        return (tokens, sequences);
    }

    /// <summary>Checks the batch's invariants: finite advantages, log-probs ≤ 0 (finite) where trained, positive temperatures,
    /// target counts within T, and every trained position a real target.</summary>
    /// <exception cref="InvalidDataException">An invariant fails; the message names the row, the position and the field.</exception>
    public void Validate()
    {
        for (var r = 0; r < Rows; r++)
        {
            if (!(Temperatures[r] > 0) || !float.IsFinite(Temperatures[r]))
                throw new InvalidDataException($"RlBatch row {r}: temperature {Temperatures[r]} is not a positive finite number.");
            if (TargetCounts[r] < 0 || TargetCounts[r] > Length)
                throw new InvalidDataException($"RlBatch row {r}: target count {TargetCounts[r]} is outside [0, {Length}].");
            if (!float.IsFinite(Scores[r]))
                throw new InvalidDataException($"RlBatch row {r}: score {Scores[r]} is not finite.");
            for (var t = 0; t < Length; t++)
            {
                var i = r * Length + t;
                if (!float.IsFinite(Advantages[i]))
                    throw new InvalidDataException($"RlBatch row {r}, position {t}: advantage {Advantages[i]} is not finite.");
                if (LossMask[i] == 0 || TargetIds[i] == IgnoreIndex) continue;
                if (t >= TargetCounts[r])
                    throw new InvalidDataException($"RlBatch row {r}, position {t}: trained position at or after the row's target count {TargetCounts[r]}. Hint: set TargetCounts.");
                CheckLogProb(OldLogProbs, i, r, t, "old log-prob");
                CheckLogProb(ReferenceLogProbs, i, r, t, "reference log-prob");
            }
        }
    }

    private static void CheckLogProb(float[]? values, int i, int r, int t, string name)
    {
        if (values is null) return;
        var v = values[i];
        if (!float.IsFinite(v) || v > 1e-4f)
            throw new InvalidDataException($"RlBatch row {r}, position {t}: {name} {v} is not a finite value <= 0. Hint: Atropos writes 1.0 at positions not generated; they must have loss mask 0.");
    }
}
