// The main job's evaluation and report helpers: greedy answers, loss by role, loss curve, run-directory listing.
using System.Globalization;
using System.Text;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;

using Microsoft.ML;

namespace MaskedSft.Examples.TrainTiny;

/// <summary>Greedy answers to held-out questions.</summary>
internal sealed record GenerationReport(int Count, double ExactMatch, double TokenAccuracy, IReadOnlyList<(string Prompt, string Expected, string Generated)> Samples);

internal static class Report
{
    /// <summary>The episode's words with the trained ones in brackets.</summary>
    public static string Bracketed(SyntheticChatCorpus corpus, SyntheticChatEpisode e)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < e.Tokens.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            var word = corpus.Decode(e.Tokens.AsSpan(i, 1));
            sb.Append(e.Mask[i] == 1 ? $"[{word}]" : word);
        }

        return sb.ToString();
    }

    /// <summary>Greedy decoding of the assistant turn after each validation prompt (stops at the end token).</summary>
    public static GenerationReport GreedyAnswers(CausalLmTransformer model, SyntheticChatCorpus corpus, int count, int seed)
    {
        var episodes = corpus.Generate(count, streamSeed: 2); // the validation stream written to the dataset
        int exact = 0, tokens = 0, correct = 0;
        var samples = new List<(string, string, string)>();
        foreach (var e in episodes)
        {
            var expected = e.Response.ToArray();
            var generated = model.Generate(e.Tokens.AsSpan(0, e.PromptLength), new GenerationOptions { MaxNewTokens = expected.Length + 2, StopToken = SyntheticChatCorpus.EndId });
            if (generated.AsSpan().SequenceEqual(expected)) exact++;
            for (var i = 0; i < expected.Length; i++)
            {
                tokens++;
                if (i < generated.Length && generated[i] == expected[i]) correct++;
            }

            samples.Add((corpus.Decode(e.Tokens.AsSpan(0, e.PromptLength)), corpus.Decode(expected), corpus.Decode(generated)));
        }

        return new GenerationReport(episodes.Count, (double)exact / episodes.Count, (double)correct / tokens, samples);
    }

    public static IEnumerable<string> Examples(GenerationReport report, int n)
    {
        foreach (var (prompt, expected, generated) in report.Samples.Take(n))
        {
            yield return $"prompt:    {prompt}";
            yield return $"generated: {generated}  {(generated == expected ? "(correct)" : $"(expected: {expected})")}";
        }
    }

    /// <summary>
    /// Mean NLL of supervised (assistant) targets and of unsupervised (user/header) targets, from the transformer's per-row
    /// Loss and SupervisedTokens: once on the episodes, once with their loss mask inverted by an ML.NET CustomMapping.
    /// </summary>
    public static (double Assistant, double User) LossByRole(MLContext mlContext, CausalLmTransformer model, IDataView episodes)
    {
        double TokenMean(IDataView data)
        {
            var rows = mlContext.Data.CreateEnumerable<ScoredRow>(model.Transform(data), reuseRowObject: false).Where(r => r.SupervisedTokens > 0).ToList();
            return rows.Sum(r => (double)r.Loss * r.SupervisedTokens) / Math.Max(1, rows.Sum(r => r.SupervisedTokens));
        }

        var inverted = mlContext.Transforms.CustomMapping<MaskRow, MaskRow>((source, row) => row.LossMask = [.. (source.LossMask ?? []).Select(b => !b)], contractName: null)
            .Fit(episodes).Transform(episodes);
        return (TokenMean(episodes), TokenMean(inverted));
    }

    /// <summary>The loss mask of an episode (read and replaced by <see cref="LossByRole"/>).</summary>
    public sealed class MaskRow
    {
        public bool[]? LossMask { get; set; }
    }

    /// <summary>The transformer's outputs.</summary>
    public sealed class ScoredRow
    {
        public float Loss { get; set; }

        public int SupervisedTokens { get; set; }
    }

    /// <summary>About ten evenly spaced points of the loss curve.</summary>
    public static IEnumerable<string> LossCurve(IReadOnlyList<StepMetrics> metrics)
    {
        if (metrics.Count == 0) yield break;
        var every = Math.Max(1, metrics.Count / 10);
        for (var i = 0; i < metrics.Count; i++)
        {
            if (i % every != 0 && i != metrics.Count - 1 && metrics[i].ValidationLoss is null) continue;
            var m = metrics[i];
            var bar = new string('#', (int)Math.Round(Math.Min(m.Loss, 6) / 6 * 40));
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{m.Step,5}: {m.Loss,7:F4} / {(m.ValidationLoss is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "   -   "),7}  {bar}");
        }
    }

    public static IEnumerable<string> RunDirectory(string run)
    {
        yield return "data/                 the synthetic episode dataset (maskedsft dataset info <run>/data)";
        yield return "metrics.jsonl         one JSON object per logged step (with a hard_examples section)";
        yield return "hard_examples.jsonl   hard-example snapshots: the highest-loss episode windows, decoded";
        yield return "report.md             outcome, loss curve and hard examples";
        foreach (var (step, path) in CheckpointStore.ListIn(Path.Combine(run, "checkpoints")))
        {
            yield return $"checkpoints/{Path.GetFileName(path)}/  weights, optimizer moments, scheduler, RNG, loader and tracker state (step {step})";
        }

        yield return "model/                the trained model's weights (TinyGpt.Load, maskedsft check --checkpoint)";
    }
}
