// report.md of a run directory: outcome, model and data, the loss curve from metrics.jsonl, and the hard examples.
using System.Globalization;
using System.Text;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.IO;
using MaskedSft.MLNet.Models;

using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Writes <c>report.md</c> in a run directory at the end of <see cref="Trainer.Run(CancellationToken)"/>: the outcome
/// (steps, final and validation losses, time, last checkpoint), the model and dataset, the loss curve read from the whole of
/// <c>metrics.jsonl</c> (so a resumed run's report covers the steps before the resume too), and the hard-example buffer.
/// </summary>
public static class TrainingReport
{
    /// <summary>The report's file name.</summary>
    public const string FileName = "report.md";

    /// <summary>Most rows of the loss-curve table; longer runs are thinned evenly (the first and last rows are kept).</summary>
    public const int MaxCurveRows = 25;

    /// <summary>Writes the report atomically.</summary>
    /// <param name="runDirectory">The run directory (holds metrics.jsonl).</param>
    /// <param name="result">The run's result.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="datasetPath">The training dataset's directory.</param>
    /// <returns>The report's path.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">metrics.jsonl has a malformed line.</exception>
    public static string Write(string runDirectory, TrainingResult result, ICausalLm model, string datasetPath)
    {
        ArgumentNullException.ThrowIfNull(runDirectory);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(datasetPath);
        var metricsPath = Path.Combine(runDirectory, "metrics.jsonl");
        var metrics = File.Exists(metricsPath) ? MetricsWriter.ReadAll(metricsPath) : result.Metrics;
        var text = Format(result, model, datasetPath, metrics);
        var path = Path.Combine(runDirectory, FileName);
        AtomicFile.Write(path, stream =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            stream.Write(bytes);
        });
        return path;
    }

    /// <summary>The report's Markdown text.</summary>
    /// <param name="result">The run's result.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="datasetPath">The training dataset's directory.</param>
    /// <param name="metrics">The logged steps of the whole run (metrics.jsonl).</param>
    /// <returns>The Markdown.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static string Format(TrainingResult result, ICausalLm model, string datasetPath, IReadOnlyList<StepMetrics> metrics)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(datasetPath);
        ArgumentNullException.ThrowIfNull(metrics);
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# Training report").AppendLine();
        md.AppendLine(string.Create(inv, $"- outcome: {(result.Cancelled ? "cancelled" : result.Step >= result.MaxSteps ? "completed" : "stopped")} at step {result.Step} of {result.MaxSteps}"));
        md.AppendLine(string.Create(inv, $"- final training loss: {result.FinalLoss:F4}"));
        md.AppendLine(result.FinalValidationLoss is { } v ? string.Create(inv, $"- final validation loss: {v:F4}") : "- final validation loss: not evaluated");
        md.AppendLine(string.Create(inv, $"- time of this run: {result.Elapsed.TotalSeconds:F1} s"));
        md.AppendLine($"- last checkpoint: {result.LastCheckpoint ?? "none"}");
        md.AppendLine($"- model: {CausalLmDescription.Of(model)}");
        md.AppendLine($"- dataset: {datasetPath}").AppendLine();

        md.AppendLine("## Loss curve").AppendLine();
        if (metrics.Count == 0)
        {
            md.AppendLine("No step was logged.");
        }
        else
        {
            md.AppendLine("| step | loss | validation loss | lr | grad norm | token accuracy | max per-sample loss |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var m in Thin(metrics, MaxCurveRows))
            {
                var val = m.ValidationLoss is { } l ? l.ToString("F4", inv) : string.Empty;
                md.AppendLine(string.Create(inv, $"| {m.Step} | {m.Loss:F4} | {val} | {m.LearningRate:0.00e+00} | {m.GradNorm:F3} | {m.TokenAccuracy:P1} | {m.MaxPerSampleLoss:F4} |"));
            }
        }

        md.AppendLine().AppendLine("## Hard examples").AppendLine();
        if (result.HardExamples is not { } hard)
        {
            md.AppendLine("Hard-example tracking was off.");
        }
        else
        {
            md.AppendLine(HardExampleListing.Summary(hard) + ".").AppendLine();
            md.AppendLine("Each row is a distinct episode window with the highest masked mean cross-entropy it reached; the text is its " +
                          "supervised (trained) tokens. Every snapshot is in hard_examples.jsonl.").AppendLine();
            md.Append(HardExampleListing.MarkdownTable(hard));
        }

        return md.ToString();
    }

    private static IEnumerable<StepMetrics> Thin(IReadOnlyList<StepMetrics> metrics, int rows)
    {
        if (metrics.Count <= rows)
        {
            foreach (var m in metrics) yield return m;
            yield break;
        }

        var last = -1;
        for (var i = 0; i < rows; i++)
        {
            var index = (int)Math.Round((double)i * (metrics.Count - 1) / (rows - 1));
            if (index == last) continue;
            last = index;
            yield return metrics[index];
        }
    }
}
