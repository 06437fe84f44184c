// The structured outcome of one validation check: name, pass/fail, measured values and a plain-language explanation.
namespace MaskedSft.MLNet.Validation;

/// <summary>Outcome of one check of the validation kit.</summary>
/// <param name="Name">Short stable name of the check (e.g. <c>corrupted-masked-targets</c>).</param>
/// <param name="Passed">Whether the check passed.</param>
/// <param name="Measured">The numbers the verdict was based on, by name (e.g. <c>loss_difference</c>).</param>
/// <param name="Explanation">What was checked, what was seen and, on failure, what is the likely cause.</param>
public sealed record ValidationCheckResult(string Name, bool Passed, IReadOnlyDictionary<string, double> Measured, string Explanation)
{
    /// <summary>One line: <c>PASS name: explanation</c> or <c>FAIL name: explanation</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Name}: {Explanation}";
}
