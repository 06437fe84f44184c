// `doctor rl`: checks seed 004's GRPO debugging hypotheses H01-H06 on a run directory and writes a report.
using System.Globalization;
using System.Text;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Doctor;

/// <summary>
/// Reads an RL run (<see cref="RlRunRecord"/>) and judges each hypothesis of seed 004 from its diagnostics, with fixed,
/// documented thresholds (docs/rl.md):
/// <list type="bullet">
/// <item>H01 advantage scaling: validated when some |advantage| exceeds 10, or when advantages are ≥ 20× the reward std
/// (rounding-level reward differences blown up to unit advantages); invalidated when |A| ≤ 5 and the amplification ≤ 5.</item>
/// <item>H02 token masking: validated when trained targets lie inside the prompt or more than half the rows train nothing;
/// invalidated when the token-boundary view (or the metrics) show none inside the prompt and &lt; 10% empty rows.</item>
/// <item>H03 KL: invalidated without a KL term (β = 0); validated with k1 (no expected pull to the reference), a non-zero
/// step-0 KL (the reference is not the initial policy) or a mean KL above 1 (diverging); else invalidated.</item>
/// <item>H04 truncation: validated when the mean truncation rate exceeds 20%, invalidated below 5%.</item>
/// <item>H05 reward signal: validated when more than half the groups have zero reward variance on average, or the
/// reward std is 0 on every step; invalidated when fewer than 25% are flat and the reward varies.</item>
/// <item>H06 LoRA / policy sync: validated when the step-0 ratio deviates from 1 by more than 0.05 or the trainer-vs-inference
/// log-prob difference exceeds 0.05 on average; invalidated when both stay below 0.02; inconclusive without those numbers.</item>
/// </list>
/// </summary>
public static class RlRunDoctor
{
    /// <summary>The report's file name in the run directory.</summary>
    public const string ReportFileName = "doctor_rl.md";

    /// <summary>Judges every hypothesis.</summary>
    /// <param name="run">The run.</param>
    /// <returns>H01..H06 in order.</returns>
    public static IReadOnlyList<HypothesisFinding> Diagnose(RlRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return [AdvantageScaling(run), TokenMasking(run), Kl(run), Truncation(run), RewardSignal(run), PolicySync(run)];
    }

    /// <summary>The findings as a Markdown report.</summary>
    /// <param name="run">The run.</param>
    /// <param name="findings">Its findings.</param>
    /// <returns>The Markdown text.</returns>
    public static string ToMarkdown(RlRunRecord run, IReadOnlyList<HypothesisFinding> findings)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(findings);
        var s = new StringBuilder();
        s.AppendLine($"# doctor rl: {run.Directory}");
        s.AppendLine();
        s.AppendLine($"{run.Steps.Count} logged steps; settings: {(run.Settings.Count == 0 ? "no run.json" : string.Join(", ", run.Settings.Select(p => $"{p.Key}={p.Value}")))}.");
        s.AppendLine();
        s.AppendLine("| hypothesis | verdict |");
        s.AppendLine("|---|---|");
        foreach (var f in findings) s.AppendLine($"| {f.Id} {f.Title} | {Name(f.Verdict)} |");
        foreach (var f in findings)
        {
            s.AppendLine();
            s.AppendLine($"## {f.Id} {f.Title}: {Name(f.Verdict)}");
            s.AppendLine();
            foreach (var e in f.Evidence) s.AppendLine($"- {e}");
            s.AppendLine();
            s.AppendLine($"Next: {f.NextStep}");
        }

        return s.ToString();
    }

    /// <summary>The verdict's name: validated, invalidated or inconclusive.</summary>
    /// <param name="verdict">The verdict.</param>
    /// <returns>Its name.</returns>
    public static string Name(HypothesisVerdict verdict) => verdict.ToString().ToLowerInvariant();

    private static HypothesisFinding AdvantageScaling(RlRunRecord run)
    {
        const string id = "H01", title = "advantage scaling instability";
        var max = run.Series(RlMetrics.AdvantageAbsMax);
        var mean = run.Series(RlMetrics.AdvantageAbsMean);
        var std = run.Series(RlMetrics.RewardStd);
        var losses = run.Series("loss");
        if (max.Length == 0)
            return new(id, title, HypothesisVerdict.Inconclusive, ["metrics.jsonl has no advantage statistics."], "log advantage_abs_max / advantage_abs_mean (the GRPO and Atropos trainers do).");
        var amplification = mean.Zip(std, (a, s) => s > 1e-12 ? a / s : (a > 0 ? double.PositiveInfinity : 0)).ToArray();
        var medianAmp = amplification.Length == 0 ? 0 : Median(amplification);
        var nonFinite = losses.Count(l => !double.IsFinite(l));
        var evidence = new List<string>
        {
            $"max |advantage| over the run {F(max.Max())} (mean of the per-step means {F(mean.DefaultIfEmpty(0).Average())}); reward scaling: {run.Text("reward_scaling") ?? "unknown"}, epsilon {run.Text("advantage_epsilon") ?? "unknown"}.",
            $"median amplification |A| / reward std = {F(medianAmp)}.",
            $"{nonFinite} step(s) with a non-finite loss.",
        };
        if (max.Max() > 10 || medianAmp >= 20 || nonFinite > 0)
            return new(id, title, HypothesisVerdict.Validated, evidence, "use reward scaling 'batch' or 'none' (Dr. GRPO), raise the epsilon, or skip zero-variance groups.");
        if (max.Max() <= 5 && medianAmp <= 5)
            return new(id, title, HypothesisVerdict.Invalidated, evidence, "advantages are bounded; look at the other hypotheses.");
        return new(id, title, HypothesisVerdict.Inconclusive, evidence, "compare a run with reward scaling 'none'.");
    }

    private static HypothesisFinding TokenMasking(RlRunRecord run)
    {
        const string id = "H02", title = "training on the wrong tokens";
        var inPrompt = run.Series(RlMetrics.TrainedInPrompt);
        var empty = run.Series(RlMetrics.EmptyRows);
        var evidence = new List<string>();
        long boundaryInPrompt = 0;
        var boundaryRows = 0;
        var boundaryEmpty = 0;
        var knownPrompt = false;
        if (run.Boundaries is { } b)
        {
            boundaryRows = b.Count;
            boundaryInPrompt = b.Sum(r => (long)r.TrainedInPrompt);
            boundaryEmpty = b.Count(r => r.TrainedTokens == 0);
            knownPrompt = b.Any(r => r.PromptLength > 0);
            evidence.Add($"token_boundaries.jsonl: {boundaryRows} sampled rows, {boundaryInPrompt} trained target(s) inside the prompt, {boundaryEmpty} row(s) training nothing (read the file to see the decoded trained segments).");
        }
        else evidence.Add("no token_boundaries.jsonl in the run.");

        var metricInPrompt = inPrompt.Sum();
        if (inPrompt.Length > 0) evidence.Add($"metrics: {metricInPrompt} trained target(s) inside the prompt over {inPrompt.Length} steps; {empty.Sum()} row(s) without trained tokens.");
        var emptyFraction = boundaryRows > 0 ? (double)boundaryEmpty / boundaryRows : 0;
        if (boundaryInPrompt > 0 || metricInPrompt > 0 || emptyFraction > 0.5)
            return new(id, title, HypothesisVerdict.Validated, evidence, "fix the loss mask: only assistant/completion tokens may be trained (check the chat template's assistant spans and the label shift).");
        if ((boundaryRows > 0 && knownPrompt && emptyFraction < 0.1) || (inPrompt.Length > 0 && knownPrompt))
            return new(id, title, HypothesisVerdict.Invalidated, evidence, "the loss trains completion tokens only.");
        evidence.Add("prompt lengths are unknown (0), so trained-in-prompt cannot be told apart.");
        return new(id, title, HypothesisVerdict.Inconclusive, evidence, "record prompt lengths in the batches and sample the token-boundary view.");
    }

    private static HypothesisFinding Kl(RlRunRecord run)
    {
        const string id = "H03", title = "KL term pushing the wrong way";
        var beta = run.Number("kl_beta");
        var estimator = run.Text("kl_estimator");
        var kl = run.Series(RlMetrics.KlMean);
        var probe = run.Series(RlMetrics.ProbeKlMax);
        var evidence = new List<string> { $"kl_beta {F(beta)}, estimator {estimator ?? "unknown"}, reference {run.Text("reference") ?? "unknown"}." };
        if (kl.Length > 0) evidence.Add($"mean KL per step: first {F(kl[0])}, last {F(kl[^1])}, max {F(kl.Max())}.");
        if (probe.Length > 0) evidence.Add($"step-0 probe max |KL| {F(probe[0])} (0 expected: the reference is the initial policy).");
        if (beta is null) return new(id, title, HypothesisVerdict.Inconclusive, evidence, "write run.json (kl_beta, kl_estimator).");
        if (beta == 0) return new(id, title, HypothesisVerdict.Invalidated, evidence, "no KL term in this run, so it cannot cause the problem.");
        if (estimator == "k1")
            return new(id, title, HypothesisVerdict.Validated, evidence, "k1 as a loss term has gradient 1 per token (zero in expectation): use k3 (or k2), or β = 0.");
        if ((probe.Length > 0 && probe[0] > 1e-3) || (kl.Length > 0 && kl.Max() > 1))
            return new(id, title, HypothesisVerdict.Validated, evidence, "the reference is not the initial policy, or the policy is diverging: check the reference (LoRA base with adapters disabled) and lower the LR or raise β.");
        if (kl.Length == 0) return new(id, title, HypothesisVerdict.Inconclusive, evidence, "log the KL per step.");
        return new(id, title, HypothesisVerdict.Invalidated, evidence, "the KL term is sound and small.");
    }

    private static HypothesisFinding Truncation(RlRunRecord run)
    {
        const string id = "H04", title = "context truncation";
        var rate = run.Series(RlMetrics.TruncationRate);
        var length = run.Series(RlMetrics.ContextLengthMax);
        if (rate.Length == 0)
            return new(id, title, HypothesisVerdict.Inconclusive, ["metrics.jsonl has no truncation rate."], "log truncation_rate and context lengths.");
        var mean = rate.Average();
        var evidence = new List<string>
        {
            $"mean truncation rate {F(mean)} (max {F(rate.Max())}); longest row {F(length.DefaultIfEmpty(0).Max())} tokens; max_new_tokens {run.Text("max_new_tokens") ?? "unknown"}, mask_truncated_completions {run.Text("mask_truncated_completions") ?? "unknown"}.",
        };
        if (mean > 0.2) return new(id, title, HypothesisVerdict.Validated, evidence, "raise the length limit, or mask truncated completions so cut answers do not train.");
        if (mean < 0.05) return new(id, title, HypothesisVerdict.Invalidated, evidence, "few rows are cut.");
        return new(id, title, HypothesisVerdict.Inconclusive, evidence, "compare a run with a longer limit.");
    }

    private static HypothesisFinding RewardSignal(RlRunRecord run)
    {
        const string id = "H05", title = "weak reward signal";
        var zero = run.Series(RlMetrics.ZeroStdFraction);
        var std = run.Series(RlMetrics.RewardStd);
        var reward = run.Series(RlMetrics.RewardMean);
        if (zero.Length == 0 || std.Length == 0)
            return new(id, title, HypothesisVerdict.Inconclusive, ["metrics.jsonl has no reward statistics."], "log reward_std and zero_std_fraction.");
        var quarter = Math.Max(1, reward.Length / 4);
        var evidence = new List<string>
        {
            $"mean zero-std group fraction {F(zero.Average())}; reward std per step mean {F(std.Average())}, max {F(std.Max())}.",
            $"mean reward first quarter {F(reward.Take(quarter).Average())} -> last quarter {F(reward.TakeLast(quarter).Average())}.",
        };
        if (zero.Average() > 0.5 || std.All(s => s == 0))
            return new(id, title, HypothesisVerdict.Validated, evidence, "most groups give no gradient: make the task easier or the reward denser, raise the group size, or skip zero-variance groups.");
        if (zero.Average() < 0.25) return new(id, title, HypothesisVerdict.Invalidated, evidence, "the groups carry signal.");
        return new(id, title, HypothesisVerdict.Inconclusive, evidence, "inspect the reward components.");
    }

    private static HypothesisFinding PolicySync(RlRunRecord run)
    {
        const string id = "H06", title = "policy / inference (LoRA) weights out of sync";
        var probe = run.Series(RlMetrics.ProbeRatioDeviation);
        var diff = run.Series(RlMetrics.LogProbDiffMean);
        var ratio = run.Series(RlMetrics.RatioMean);
        var evidence = new List<string> { $"LoRA: {run.Text("lora") ?? "unknown"}." };
        if (probe.Length > 0) evidence.Add($"step-0 probe max |ratio - 1| {F(probe[0])}.");
        if (diff.Length > 0) evidence.Add($"trainer-vs-inference |Δ log-prob| mean over steps {F(diff.Average())}, max {F(diff.Max())}.");
        if (ratio.Length > 0) evidence.Add($"mean importance ratio per step from {F(ratio.Min())} to {F(ratio.Max())}.");
        if (probe.Length == 0 && diff.Length == 0)
            return new(id, title, HypothesisVerdict.Inconclusive, evidence, "give the trainer inference log-probs (Atropos inference_logprobs) so the difference is measured.");
        if ((probe.Length > 0 && probe[0] > 0.05) || (diff.Length > 0 && diff.Average() > 0.05))
            return new(id, title, HypothesisVerdict.Validated, evidence, "the sampler does not run the trained weights: reload the adapters into the inference server after every update (or merge them), and compare a full-parameter run.");
        if ((probe.Length == 0 || probe[0] < 0.02) && (diff.Length == 0 || diff.Average() < 0.02))
            return new(id, title, HypothesisVerdict.Invalidated, evidence, "trainer and sampler agree.");
        return new(id, title, HypothesisVerdict.Inconclusive, evidence, "compare with a full-parameter (--no-peft) run.");
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string F(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "unknown";
}
