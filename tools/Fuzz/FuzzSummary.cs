// Figures of a fuzz run of one target: inputs, outcomes, exception types, time.
using System.Globalization;

namespace MaskedSft.Tools.Fuzz;

/// <summary>The outcome counts of one target's run.</summary>
public sealed class FuzzSummary
{
    /// <summary>Creates an empty summary.</summary>
    /// <param name="target">The target's name.</param>
    public FuzzSummary(string target) => Target = target;

    /// <summary>The target's name.</summary>
    public string Target { get; }

    /// <summary>Inputs run.</summary>
    public int Inputs { get; private set; }

    /// <summary>Inputs read without error.</summary>
    public int Accepted { get; private set; }

    /// <summary>Inputs rejected with a documented exception naming the file.</summary>
    public int Rejected { get; private set; }

    /// <summary>The findings (empty when the product held).</summary>
    public List<FuzzResult> Findings { get; } = [];

    /// <summary>Rejections by exception type.</summary>
    public SortedDictionary<string, int> RejectedBy { get; } = new(StringComparer.Ordinal);

    /// <summary>Wall time of the run, seeding included.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>The slowest input, in milliseconds.</summary>
    public double SlowestMilliseconds { get; private set; }

    /// <summary>Counts one result.</summary>
    /// <param name="result">The result.</param>
    public void Add(FuzzResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Inputs++;
        SlowestMilliseconds = Math.Max(SlowestMilliseconds, result.Milliseconds);
        switch (result.Outcome)
        {
            case FuzzOutcome.Accepted:
                Accepted++;
                break;
            case FuzzOutcome.Rejected:
                Rejected++;
                RejectedBy[result.Detail] = RejectedBy.GetValueOrDefault(result.Detail) + 1;
                break;
            default:
                Findings.Add(result);
                break;
        }
    }

    /// <summary>One line of figures: target, inputs, accepted, rejected, findings, time.</summary>
    /// <returns>The line.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Target,-18} inputs {Inputs,6}  accepted {Accepted,6}  rejected {Rejected,6}  findings {Findings.Count,3}  {Elapsed.TotalSeconds,7:F1} s  (slowest input {SlowestMilliseconds:F0} ms; rejected by {string.Join(", ", RejectedBy.Select(p => $"{p.Key} {p.Value}"))})");
}
