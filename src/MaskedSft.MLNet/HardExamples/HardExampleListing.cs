// Human-readable listings of a hard-example payload: console lines and a Markdown table, texts shortened to one line.
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>Formats a <see cref="HardExamplePayload"/> for people: progress logs, command output and reports.</summary>
public static class HardExampleListing
{
    /// <summary>The header line: entries, threshold, samples seen and admitted.</summary>
    /// <param name="payload">The payload.</param>
    /// <returns>E.g. <c>hard examples at step 50: 12 entries, threshold 2.3100, 800 samples seen, 84 admitted</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
    public static string Summary(HardExamplePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var threshold = double.IsNaN(payload.Threshold) ? "n/a" : payload.Threshold.ToString("F4", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"hard examples at step {payload.Step}: {payload.Entries.Count} {(payload.Entries.Count == 1 ? "entry" : "entries")}, threshold {threshold}, {payload.TotalSamplesSeen:N0} samples seen, {payload.TotalAdmitted:N0} admitted");
    }

    /// <summary>One line per entry, hardest first: rank, loss, step, source index, admissions and the text.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="top">How many entries to list.</param>
    /// <param name="maxTextLength">Texts longer than this are cut (with an ellipsis); line breaks are shown as ⏎.</param>
    /// <returns>E.g. <c>#1 loss 4.2311 step 12 (max at 9) episode 37, seen 3x: "the answer is"</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="top"/> is negative or <paramref name="maxTextLength"/> is less than 1.</exception>
    public static IEnumerable<string> Lines(HardExamplePayload payload, int top = 10, int maxTextLength = 100)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTextLength, 1);
        return payload.Entries.Take(top).Select((e, i) => string.Create(CultureInfo.InvariantCulture,
            $"#{i + 1} loss {e.Loss:F4} step {e.Step}{(e.MaxLossStep != e.Step ? $" (max at {e.MaxLossStep})" : string.Empty)} episode {e.GlobalIndex}, seen {e.SeenCount}x: \"{OneLine(e.Text, maxTextLength)}\""));
    }

    /// <summary>A Markdown table of the entries (rank, loss, step of the highest loss, latest step, episode, admissions, text).</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="top">How many entries to list.</param>
    /// <param name="maxTextLength">Texts longer than this are cut.</param>
    /// <returns>The table, one row per line, ending with a newline; a sentence when there are no entries.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
    public static string MarkdownTable(HardExamplePayload payload, int top = 20, int maxTextLength = 160)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        if (payload.Entries.Count == 0) return "No sample reached the admission threshold.\n";
        var table = new StringBuilder();
        table.AppendLine("| rank | loss | max-loss step | latest step | episode | seen | text |");
        table.AppendLine("|---:|---:|---:|---:|---:|---:|---|");
        var rank = 0;
        foreach (var e in payload.Entries.Take(top))
        {
            var text = OneLine(e.Text, maxTextLength).Replace("|", "\\|", StringComparison.Ordinal).Replace("`", "\\`", StringComparison.Ordinal);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {++rank} | {e.Loss:F4} | {e.MaxLossStep} | {e.Step} | {e.GlobalIndex} | {e.SeenCount} | {text} |"));
        }

        return table.ToString();
    }

    /// <summary>The text on one line (line breaks as ⏎, tabs as spaces), cut to <paramref name="maxLength"/> characters with an ellipsis.</summary>
    /// <param name="text">The text.</param>
    /// <param name="maxLength">The longest result.</param>
    /// <returns>The shortened text.</returns>
    public static string OneLine(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        var flat = text.Replace("\r\n", "⏎", StringComparison.Ordinal).Replace('\n', '⏎').Replace('\r', '⏎').Replace('\t', ' ');
        return flat.Length <= maxLength ? flat : string.Concat(flat.AsSpan(0, Math.Max(0, maxLength - 1)), "…");
    }
}
