// The soak: trains the tiny GPT for N steps on the bundled synthetic data, samples RSS, live tensors and the managed heap
// every few steps, and fits a line through the samples after warm-up (slopes per 1,000 steps).
using System.Diagnostics;
using System.Globalization;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using Microsoft.ML;

namespace MaskedSft.Tools.Reliability;

/// <summary>The memory soak of docs/reliability.md.</summary>
internal static class Soak
{
    /// <summary>Runs the soak and writes soak.csv and soak.json under <paramref name="output"/>.</summary>
    /// <returns>0 when RSS and live tensors are flat (live-tensor slope 0, RSS slope under 1 MiB per 1,000 steps), else 1.</returns>
    public static int Run(string output, int steps, int every, int warmup, int threads)
    {
        Directory.CreateDirectory(output);
        var data = Path.Combine(output, "data");
        SyntheticData.Write(data, train: 2000, validation: 200, seed: 1234);
        using var dataset = EpisodeDataset.Open(data);
        var options = new TrainerOptions
        {
            MaxSteps = steps, BatchSize = 8, WarmupSteps = steps / 20, LearningRate = 3e-3, LogInterval = 10, EvalInterval = 0, CheckpointInterval = 0,
            Seed = 1234, IntraOpThreads = threads,
        };
        var config = new MLContext(seed: 1).MaskedSft().Trainers.LossMaskedSft(new LossMaskedSftTrainer.Options { Preset = "tiny" }).ModelConfig(dataset);
        using var model = new TinyGpt(config, seed: 1234);
        using var trainer = new Trainer(model, dataset, options);
        var samples = new List<SoakSample>();
        var watch = Stopwatch.StartNew();
        using var process = Process.GetCurrentProcess();
        trainer.StepCompleted += metrics =>
        {
            if (trainer.Step % every != 0) return;
            process.Refresh();
            samples.Add(new SoakSample(trainer.Step, watch.Elapsed.TotalSeconds, process.WorkingSet64, TensorCounters.Live, GC.GetTotalMemory(forceFullCollection: false), metrics.Loss));
        };
        long liveBefore = TensorCounters.Live;
        trainer.Run();
        File.WriteAllLines(Path.Combine(output, "soak.csv"), [SoakSample.CsvHeader, .. samples.Select(s => s.ToCsv())]);

        var steady = samples.Where(s => s.Step > warmup).ToList();
        double rssSlope = Slope(steady, s => s.RssBytes / 1048576.0) * 1000;
        double tensorSlope = Slope(steady, s => s.LiveTensors) * 1000;
        double managedSlope = Slope(steady, s => s.ManagedBytes / 1048576.0) * 1000;
        var c = CultureInfo.InvariantCulture;
        var lines = new[]
        {
            string.Create(c, $"soak: {steps} steps of the tiny GPT ({config.Layers}x{config.EmbeddingSize}, block {config.BlockSize}, vocab {config.VocabSize}), batch 8, {threads} thread(s), {watch.Elapsed.TotalSeconds:F0} s, {samples.Count} samples every {every} steps"),
            string.Create(c, $"live tensors: before the run {liveBefore}, steady min {steady.Min(s => s.LiveTensors)} max {steady.Max(s => s.LiveTensors)}, slope {tensorSlope:F3} per 1,000 steps; after the run {TensorCounters.Live}, finalized by GC {TensorCounters.Finalized}"),
            string.Create(c, $"RSS: first {samples[0].RssBytes / 1048576.0:F1} MiB, after warm-up (step {steady[0].Step}) {steady[0].RssBytes / 1048576.0:F1} MiB, last {samples[^1].RssBytes / 1048576.0:F1} MiB, max {samples.Max(s => s.RssBytes) / 1048576.0:F1} MiB, slope {rssSlope:F3} MiB per 1,000 steps"),
            string.Create(c, $"managed heap: min {steady.Min(s => s.ManagedBytes) / 1048576.0:F1} MiB, max {steady.Max(s => s.ManagedBytes) / 1048576.0:F1} MiB, slope {managedSlope:F3} MiB per 1,000 steps"),
            string.Create(c, $"loss: {samples[0].Loss:F3} -> {samples[^1].Loss:F3}"),
        };
        foreach (var line in lines) Console.WriteLine(line);
        File.WriteAllLines(Path.Combine(output, "soak.txt"), lines);
        bool flat = Math.Abs(tensorSlope) < 1e-9 && steady.Min(s => s.LiveTensors) == steady.Max(s => s.LiveTensors) && rssSlope < 1.0;
        Console.WriteLine(flat ? "flat: yes" : "flat: NO");
        return flat ? 0 : 1;
    }

    /// <summary>Least-squares slope of <paramref name="value"/> over the samples' steps.</summary>
    private static double Slope(List<SoakSample> samples, Func<SoakSample, double> value)
    {
        double mx = samples.Average(s => (double)s.Step);
        double my = samples.Average(value);
        double sxy = samples.Sum(s => (s.Step - mx) * (value(s) - my));
        double sxx = samples.Sum(s => (s.Step - mx) * (s.Step - mx));
        return sxx == 0 ? 0 : sxy / sxx;
    }
}
