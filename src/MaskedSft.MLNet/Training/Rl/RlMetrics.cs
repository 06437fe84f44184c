// The RL fields of a metrics.jsonl row (names shared by the writers and `doctor rl`): batch diagnostics, policy statistics, probe.
using System.Text.Json;

namespace MaskedSft.MLNet.Training.Rl;

/// <summary>
/// Writes the RL diagnostics of a step into its metrics.jsonl object (after the engine's <c>step</c>, <c>loss</c>, ...),
/// under the names below, which <c>doctor rl</c> reads. Absent values are left out (not written as null).
/// </summary>
public static class RlMetrics
{
    /// <summary>Mean score of the step's rows.</summary>
    public const string RewardMean = "reward_mean";
    /// <summary>Population std of the scores.</summary>
    public const string RewardStd = "reward_std";
    /// <summary>Smallest score.</summary>
    public const string RewardMin = "reward_min";
    /// <summary>Largest score.</summary>
    public const string RewardMax = "reward_max";
    /// <summary>Fraction of groups whose scores are all equal.</summary>
    public const string ZeroStdFraction = "zero_std_fraction";
    /// <summary>Largest |advantage| at a trained token.</summary>
    public const string AdvantageAbsMax = "advantage_abs_max";
    /// <summary>Mean |advantage| over trained tokens.</summary>
    public const string AdvantageAbsMean = "advantage_abs_mean";
    /// <summary>Mean real row length.</summary>
    public const string ContextLengthMean = "context_length_mean";
    /// <summary>Longest row.</summary>
    public const string ContextLengthMax = "context_length_max";
    /// <summary>Fraction of truncated rows.</summary>
    public const string TruncationRate = "truncation_rate";
    /// <summary>Trained tokens.</summary>
    public const string TrainedTokens = "trained_tokens";
    /// <summary>Rows without trained tokens.</summary>
    public const string EmptyRows = "rows_without_trained_tokens";
    /// <summary>Trained targets inside the prompt.</summary>
    public const string TrainedInPrompt = "trained_in_prompt_tokens";
    /// <summary>Mean importance ratio.</summary>
    public const string RatioMean = "ratio_mean";
    /// <summary>Largest importance ratio.</summary>
    public const string RatioMax = "ratio_max";
    /// <summary>Mean per-token KL estimate.</summary>
    public const string KlMean = "kl_mean";
    /// <summary>Fractions of clipped tokens.</summary>
    public const string ClipLow = "clip_low_fraction";
    /// <summary>Fraction clipped from above.</summary>
    public const string ClipHigh = "clip_high_fraction";
    /// <summary>Fraction capped by the dual clip.</summary>
    public const string DualClip = "dual_clip_fraction";
    /// <summary>Mean |trainer - inference| log-prob difference.</summary>
    public const string LogProbDiffMean = "logprob_diff_mean";
    /// <summary>Largest |trainer - inference| log-prob difference.</summary>
    public const string LogProbDiffMax = "logprob_diff_max";
    /// <summary>Step-0 probe: mean ratio of the untrained policy against the inference log-probs.</summary>
    public const string ProbeRatio = "probe_ratio_mean";
    /// <summary>Step-0 probe: largest |ratio - 1|.</summary>
    public const string ProbeRatioDeviation = "probe_ratio_max_deviation";
    /// <summary>Step-0 probe: mean KL of the untrained policy to the reference.</summary>
    public const string ProbeKl = "probe_kl_mean";
    /// <summary>Step-0 probe: largest |KL|.</summary>
    public const string ProbeKlMax = "probe_kl_max_abs";

    /// <summary>Writes the fields.</summary>
    /// <param name="json">The open metrics object.</param>
    /// <param name="batch">The step's batch diagnostics.</param>
    /// <param name="policy">The objective's step statistics, or null (e.g. weighted SFT).</param>
    /// <param name="probe">The step-0 probe, or null on other steps.</param>
    public static void Write(Utf8JsonWriter json, RlBatchDiagnostics batch, GrpoStepStatistics? policy,
        (double MeanRatio, double MaxRatioDeviation, double MeanKl, double MaxAbsKl)? probe = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(batch);
        Number(json, RewardMean, batch.RewardMean);
        Number(json, RewardStd, batch.RewardStd);
        Number(json, RewardMin, batch.RewardMin);
        Number(json, RewardMax, batch.RewardMax);
        Number(json, ZeroStdFraction, batch.ZeroStdFraction);
        Number(json, AdvantageAbsMax, batch.AdvantageAbsMax);
        Number(json, AdvantageAbsMean, batch.AdvantageAbsMean);
        Number(json, ContextLengthMean, batch.ContextLengthMean);
        json.WriteNumber(ContextLengthMax, batch.ContextLengthMax);
        Number(json, TruncationRate, batch.TruncationRate);
        json.WriteNumber(TrainedTokens, batch.TrainedTokens);
        json.WriteNumber(EmptyRows, batch.RowsWithoutTrainedTokens);
        json.WriteNumber(TrainedInPrompt, batch.TrainedInPromptTokens);
        if (policy is not null)
        {
            Number(json, RatioMean, policy.MeanRatio);
            Number(json, RatioMax, policy.MaxRatio);
            if (policy.HasKl) Number(json, KlMean, policy.MeanKl);
            Number(json, ClipLow, policy.ClipLowFraction);
            Number(json, ClipHigh, policy.ClipHighFraction);
            Number(json, DualClip, policy.DualClipFraction);
            if (policy.MeanLogProbDifference is { } d) Number(json, LogProbDiffMean, d);
            if (policy.MaxLogProbDifference is { } m) Number(json, LogProbDiffMax, m);
        }

        if (probe is { } p)
        {
            Number(json, ProbeRatio, p.MeanRatio);
            Number(json, ProbeRatioDeviation, p.MaxRatioDeviation);
            Number(json, ProbeKl, p.MeanKl);
            Number(json, ProbeKlMax, p.MaxAbsKl);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
