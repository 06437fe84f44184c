// A titled table for the HTML report (e.g. the testing kit's checks), each row marked passed, failed or neutral.
namespace MaskedSft.MLNet.Reporting;

/// <summary>A table that a caller adds to the HTML report (<c>TrainingReportContent.Tables</c>).</summary>
/// <param name="Title">The section title.</param>
/// <param name="Columns">The column headers.</param>
/// <param name="Rows">The cells of each row (as many as <paramref name="Columns"/>).</param>
/// <param name="Passed">Per row: true (passed, green), false (failed, red) or null (no status); null for no statuses.</param>
public sealed record ReportTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlyList<bool?>? Passed = null);
