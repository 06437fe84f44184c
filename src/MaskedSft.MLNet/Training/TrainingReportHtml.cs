// report.html of a run: self-contained page with the loss and learning-rate curves (inline SVG), hard examples with
// thumbnails, the mask view of a few episodes, extra tables (testing kit) and the run configuration.
using System.Globalization;
using System.Reflection;
using System.Text;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Reporting;
using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Writes <c>report.html</c> beside report.md: one file that opens offline (inline CSS, charts as inline SVG drawn by
/// <see cref="SvgLineChart"/>, thumbnails as <c>data:image/png</c> URLs, no script). Sections: outcome; the training and
/// validation loss curve and the learning-rate curve from the whole metrics.jsonl (<c>id="loss-chart"</c>,
/// <c>id="lr-chart"</c>); the hard examples with their decoded text and thumbnails; the mask view of the dataset's first
/// episodes (every token decoded on its own, trained targets highlighted); the caller's tables (e.g. the testing kit);
/// the run configuration. Everything taken from data is HTML-escaped.
/// </summary>
public static class TrainingReportHtml
{
    /// <summary>The report's file name.</summary>
    public const string FileName = "report.html";

    /// <summary>Tokens shown per episode in the mask view (the rest is summarised).</summary>
    public const int MaxMaskViewTokens = 400;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes the report atomically into the run directory.</summary>
    /// <param name="runDirectory">The run directory (holds metrics.jsonl).</param>
    /// <param name="content">What to show.</param>
    /// <returns>The report's path.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">metrics.jsonl has a malformed line.</exception>
    public static string Write(string runDirectory, TrainingReportContent content)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        ArgumentNullException.ThrowIfNull(content);
        var metricsPath = Path.Combine(runDirectory, "metrics.jsonl");
        var metrics = File.Exists(metricsPath) ? MetricsWriter.ReadAll(metricsPath) : content.Result.Metrics;
        var html = Format(content, metrics);
        var path = Path.Combine(runDirectory, FileName);
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(html)));
        return path;
    }

    /// <summary>The report's HTML.</summary>
    /// <param name="content">What to show.</param>
    /// <param name="metrics">The logged steps of the whole run.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string Format(TrainingReportContent content, IReadOnlyList<StepMetrics> metrics)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(metrics);
        var r = content.Result;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Training report</title><style>")
         .Append(Style)
         .Append("</style></head><body>\n<h1>Training report</h1>\n");

        var outcome = r.Cancelled ? "cancelled" : r.Step >= r.MaxSteps ? "completed" : "stopped";
        h.Append("<section id=\"outcome\"><table class=\"kv\">");
        Row(h, "outcome", $"{outcome} at step {r.Step} of {r.MaxSteps}");
        Row(h, "final training loss", r.FinalLoss.ToString("F4", Inv));
        Row(h, "final validation loss", r.FinalValidationLoss is { } v ? v.ToString("F4", Inv) : "not evaluated");
        Row(h, "time of this run", string.Create(Inv, $"{r.Elapsed.TotalSeconds:F1} s"));
        Row(h, "last checkpoint", r.LastCheckpoint ?? "none");
        Row(h, "model", content.Model);
        Row(h, "dataset", content.DatasetPath);
        h.Append("</table></section>\n");

        h.Append("<section id=\"curves\"><h2>Curves</h2>");
        if (metrics.Count == 0)
        {
            h.Append("<p>No step was logged.</p>");
        }
        else
        {
            h.Append("<div id=\"loss-chart\" class=\"plot\">").Append(SvgLineChart.Render("Loss",
            [
                new ChartSeries("loss", "training loss", "#1f77b4", metrics.Select(m => ((double)m.Step, m.Loss)).ToList()),
                new ChartSeries("val_loss", "validation loss", "#d62728", metrics.Where(m => m.ValidationLoss is not null).Select(m => ((double)m.Step, m.ValidationLoss!.Value)).ToList(), Markers: true),
            ])).Append("</div>");
            h.Append("<div id=\"lr-chart\" class=\"plot\">").Append(SvgLineChart.Render("Learning rate",
            [
                new ChartSeries("lr", "learning rate", "#2ca02c", metrics.Select(m => ((double)m.Step, m.LearningRate)).ToList()),
            ])).Append("</div>");
            h.Append("<div id=\"grad-chart\" class=\"plot\">").Append(SvgLineChart.Render("Gradient norm (before clipping) and token accuracy",
            [
                new ChartSeries("grad_norm", "grad norm", "#9467bd", metrics.Select(m => ((double)m.Step, m.GradNorm)).ToList()),
                new ChartSeries("token_acc", "token accuracy", "#ff7f0e", metrics.Select(m => ((double)m.Step, m.TokenAccuracy)).ToList()),
            ])).Append("</div>");
        }

        h.Append("</section>\n<section id=\"hard-examples\"><h2>Hard examples</h2>");
        HardExamples(h, r.HardExamples);
        h.Append("</section>\n");

        if (content.MaskViewEpisodes > 0 && content.DatasetPath.Length > 0)
        {
            h.Append("<section id=\"mask-view\"><h2>Mask view</h2><p>The dataset's first episodes, every token decoded on its own; " +
                     "<span class=\"trained\">highlighted</span> tokens are trained targets (loss mask 1), the others are context only.</p>");
            MaskView(h, content.DatasetPath, content.MaskViewEpisodes, content.Decoder);
            h.Append("</section>\n");
        }

        foreach (var table in content.Tables) Table(h, table);

        h.Append("<section id=\"configuration\"><h2>Run configuration</h2><table class=\"kv\">");
        foreach (var (name, value) in content.Configuration) Row(h, name, value);
        h.Append("</table></section>\n</body></html>\n");
        return h.ToString();
    }

    /// <summary>The settings of <paramref name="options"/> as (name, value) rows: every public property of its runtime type
    /// (so a derived options record shows its own too), values by their invariant ToString (records list their members); null shown as "-".</summary>
    /// <param name="options">The options.</param>
    /// <returns>The rows, in declaration order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> ConfigurationOf(TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rows = new List<KeyValuePair<string, string>>();
        foreach (var p in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (p.GetIndexParameters().Length > 0 || p.Name == "EqualityContract") continue;
            var value = p.GetValue(options);
            var text = value switch
            {
                null => "-",
                IFormattable f => f.ToString(null, Inv),
                _ => value.ToString() ?? "-",
            };
            rows.Add(new KeyValuePair<string, string>(p.Name, text));
        }

        return rows;
    }

    private static void HardExamples(StringBuilder h, HardExamplePayload? hard)
    {
        if (hard is null)
        {
            h.Append("<p>Hard-example tracking was off.</p>");
            return;
        }

        h.Append("<p>").Append(Html.Escape(HardExampleListing.Summary(hard))).Append(".</p>");
        if (hard.Entries.Count == 0) return;
        h.Append("<table class=\"grid\"><thead><tr><th>rank</th><th>loss</th><th>max-loss step</th><th>latest step</th><th>episode</th><th>seen</th><th>thumbnail</th><th>supervised text</th></tr></thead><tbody>");
        var rank = 0;
        foreach (var e in hard.Entries)
        {
            h.Append(Inv, $"<tr><td>{++rank}</td><td>{e.Loss:F4}</td><td>{e.MaxLossStep}</td><td>{e.Step}</td><td title=\"{Html.Escape(e.Key)}\">{e.GlobalIndex}</td><td>{e.SeenCount}</td><td>");
            if (e.ThumbnailPng is { } png) h.Append("<img class=\"thumb\" alt=\"thumbnail\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">");
            h.Append("</td><td class=\"text\">").Append(Html.Escape(e.Text)).Append("</td></tr>");
        }

        h.Append("</tbody></table>");
    }

    private static void MaskView(StringBuilder h, string datasetPath, int episodes, ITokenDecoder? decoder)
    {
        EpisodeDataset dataset;
        try
        {
            dataset = EpisodeDataset.Open(datasetPath, EpisodeVerification.Structure);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            h.Append("<p>The dataset could not be opened: ").Append(Html.Escape(e.Message)).Append("</p>");
            return;
        }

        using (dataset)
        {
            for (var i = 0; i < Math.Min(episodes, dataset.EpisodeCount); i++)
            {
                var info = dataset.GetEpisode(i);
                var tokens = dataset.GetEpisodeTokens(i);
                var mask = dataset.GetEpisodeMask(i);
                var trained = mask.Count(m => m != 0);
                h.Append(Inv, $"<div class=\"episode\"><div class=\"meta\">episode {i} ({info.Split.ToString().ToLowerInvariant()}), {tokens.Length} tokens, {trained} trained</div><div class=\"tokens\">");
                for (var t = 0; t < Math.Min(tokens.Length, MaxMaskViewTokens); t++)
                {
                    var text = decoder is null ? "⟨" + tokens[t].ToString(Inv) + "⟩" : decoder.Decode([tokens[t]]);
                    h.Append(mask[t] != 0 ? "<span class=\"tok trained\"" : "<span class=\"tok\"")
                     .Append(Inv, $" title=\"{tokens[t]}\">").Append(Html.Escape(Visible(text))).Append("</span>");
                }

                if (tokens.Length > MaxMaskViewTokens) h.Append(Inv, $"<span class=\"more\">… {tokens.Length - MaxMaskViewTokens} more tokens</span>");
                h.Append("</div></div>");
            }
        }
    }

    private static string Visible(string text) => text.Length == 0 ? "∅" : text.Replace("\n", "⏎\n", StringComparison.Ordinal);

    private static void Table(StringBuilder h, ReportTable table)
    {
        h.Append("<section class=\"extra\"><h2>").Append(Html.Escape(table.Title)).Append("</h2><table class=\"grid\"><thead><tr>");
        foreach (var c in table.Columns) h.Append("<th>").Append(Html.Escape(c)).Append("</th>");
        h.Append("</tr></thead><tbody>");
        for (var i = 0; i < table.Rows.Count; i++)
        {
            var status = table.Passed is { } passed && i < passed.Count ? passed[i] : null;
            h.Append(status switch { true => "<tr class=\"pass\">", false => "<tr class=\"fail\">", _ => "<tr>" });
            foreach (var cell in table.Rows[i]) h.Append("<td>").Append(Html.Escape(cell)).Append("</td>");
            h.Append("</tr>");
        }

        h.Append("</tbody></table></section>\n");
    }

    private static void Row(StringBuilder h, string name, string value) =>
        h.Append("<tr><th>").Append(Html.Escape(name)).Append("</th><td>").Append(Html.Escape(value)).Append("</td></tr>");

    private const string Style =
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;background:#fafafa;max-width:1200px}" +
        "h1{font-size:24px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}" +
        "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top}" +
        "table.kv th{text-align:left;background:#f0f0f0}table.grid th{background:#f0f0f0}" +
        "td.text{font-family:ui-monospace,monospace;white-space:pre-wrap;max-width:640px}" +
        ".plot{display:inline-block;margin:4px 12px 4px 0;border:1px solid #ddd;background:#fff}" +
        "img.thumb{width:64px;height:64px;image-rendering:pixelated}" +
        ".episode{margin:8px 0;padding:8px;border:1px solid #ddd;background:#fff}.meta{font-size:12px;color:#666;margin-bottom:4px}" +
        ".tokens{font-family:ui-monospace,monospace;font-size:13px;white-space:pre-wrap;line-height:1.7}" +
        ".tok{border-right:1px dotted #ccc}.trained{background:#ffe08a;color:#000}.more{color:#888;margin-left:6px}" +
        "tr.pass td:first-child{border-left:4px solid #2ca02c}tr.fail td:first-child{border-left:4px solid #d62728}";
}
