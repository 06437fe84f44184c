// The outcome of the masked-pattern training check: both runs' numbers and the check results derived from them.
using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>Result of <see cref="TrainingChecks.MaskedPatternLearning"/>.</summary>
/// <param name="LogVocab">ln(V - 1), the prompt loss of a uniform prediction over the prompt tokens.</param>
/// <param name="Masked">The run with the loss mask.</param>
/// <param name="Unmasked">The run without it, when compared.</param>
/// <param name="Checks">The checks: response learned, prompts not learned, and (with the comparison) the mask's effect.</param>
public sealed record MaskedPatternReport(double LogVocab, MaskedPatternRun Masked, MaskedPatternRun? Unmasked, IReadOnlyList<CheckResult> Checks)
{
    /// <summary>True when every check passed.</summary>
    public bool AllPassed => Checks.All(c => c.Passed);
}
