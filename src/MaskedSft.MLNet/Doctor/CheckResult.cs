// The structured outcome of one validation check: name, pass/fail, measured values and a plain-language explanation.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Doctor;

/// <summary>Outcome of one check of the validation kit.</summary>
/// <param name="Name">Short stable name of the check (e.g. <c>corrupted-masked-targets</c>).</param>
/// <param name="Passed">Whether the check passed.</param>
/// <param name="Measured">The numbers the verdict was based on, by name (e.g. <c>loss_difference</c>).</param>
/// <param name="Explanation">What was checked, what was seen and, on failure, what is the likely cause.</param>
public sealed record CheckResult(string Name, bool Passed, IReadOnlyDictionary<string, double> Measured, string Explanation)
{
    /// <summary>One line: <c>PASS name: explanation</c> or <c>FAIL name: explanation</c>.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => $"{(Passed ? "PASS" : "FAIL")} {Name}: {Explanation}";

    /// <summary>Runs a check, turning an exception that bad input or a broken model raises into a failed result that
    /// names the exception (so one broken check never hides the others).</summary>
    internal static CheckResult Guard(string name, Func<CheckResult> check)
    {
        try
        {
            return check();
        }
        catch (Exception e) when (e is TorchException or ArgumentException or InvalidOperationException or InvalidDataException or IOException
            or KeyNotFoundException or FormatException or MaskedSft.Torch.Safetensors.SafetensorsFormatException or MaskedSft.MLNet.Data.EpisodeDatasetException)
        {
            return new CheckResult(name, false, Values(), $"the check could not run: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The measured values of a result, by name.</summary>
    internal static IReadOnlyDictionary<string, double> Values(params (string Name, double Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);

}
