// The structured outcome of one check (the testing kit's or the doctor's): name, pass/fail, measured values and a plain-language explanation.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Doctor;

/// <summary>Outcome of one check of the testing kit (MaskedSft.Testing) or of the doctor.</summary>
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
    /// <param name="name">The check's name (used by the failed result).</param>
    /// <param name="check">The check.</param>
    /// <returns>The check's result, or a failed result naming the exception.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static CheckResult Guard(string name, Func<CheckResult> check)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(check);
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
    /// <param name="values">(name, value) pairs with distinct names.</param>
    /// <returns>The values by name (ordinal comparison).</returns>
    /// <exception cref="ArgumentException">A name repeats.</exception>
    public static IReadOnlyDictionary<string, double> Values(params (string Name, double Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
}
