// A set of validation check results with an all-passed verdict and a PASS/FAIL summary table.
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.Doctor;

/// <summary>The results of a validation run.</summary>
public sealed class CheckReport
{
    /// <summary>Wraps a list of results.</summary>
    /// <param name="results">The checks' results, in run order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    public CheckReport(IReadOnlyList<CheckResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        Results = results;
    }

    /// <summary>The results, in run order.</summary>
    public IReadOnlyList<CheckResult> Results { get; }

    /// <summary>True when every check passed (and there was at least one).</summary>
    public bool AllPassed => Results.Count > 0 && Results.All(r => r.Passed);

    /// <summary>A fixed-width table: check, verdict, key measurements; then the explanations of failed checks.</summary>
    /// <returns>The table text (ends with a newline).</returns>
    public string ToTable()
    {
        var nameWidth = Math.Max("check".Length, Results.Count == 0 ? 0 : Results.Max(r => r.Name.Length));
        var sb = new StringBuilder();
        sb.Append("check".PadRight(nameWidth)).Append("  result  measured\n");
        sb.Append(new string('-', nameWidth)).Append("  ------  --------\n");
        foreach (var r in Results)
        {
            var measured = string.Join(", ", r.Measured.Select(kv => $"{kv.Key}={Format(kv.Value)}"));
            sb.Append(r.Name.PadRight(nameWidth)).Append(r.Passed ? "  PASS    " : "  FAIL    ").Append(measured).Append('\n');
        }

        var passed = Results.Count(r => r.Passed);
        sb.Append(CultureInfo.InvariantCulture, $"{passed}/{Results.Count} checks passed\n");
        foreach (var r in Results.Where(r => !r.Passed)) sb.Append("FAIL ").Append(r.Name).Append(": ").Append(r.Explanation).Append('\n');
        return sb.ToString();
    }

    /// <summary>The checks as a table of the HTML report (check, result, measured values, explanation; rows marked passed
    /// or failed).</summary>
    /// <param name="title">The section title (e.g. "Testing kit on the trained model").</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="title"/> is null.</exception>
    public Reporting.ReportTable ToReportTable(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        var rows = Results.Select(r => (IReadOnlyList<string>)[r.Name, r.Passed ? "PASS" : "FAIL",
            string.Join(", ", r.Measured.Select(kv => $"{kv.Key}={Format(kv.Value)}")), r.Explanation]).ToList();
        return new Reporting.ReportTable(title, ["check", "result", "measured", "explanation"], rows, Results.Select(r => (bool?)r.Passed).ToList());
    }

    private static string Format(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e9 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("G4", CultureInfo.InvariantCulture);
}
