// The main job: synthetic chat episodes -> loss-masked training of the tiny GPT -> learned-or-not report and a run directory.
using System.Diagnostics;
using System.Globalization;
using MaskedSft.Examples.TrainTiny;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.Torch;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Doctor;
using MaskedSft.Testing;
using Microsoft.ML;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = JobOptions.Parse(args);
var total = Stopwatch.StartNew();
TorchOps.SetNumThreads(options.Threads);
Console.WriteLine("MaskedSft.MLNet main job: loss-masked fine-tuning of a tiny GPT on synthetic chat episodes");
Console.WriteLine($"libtorch {TorchOps.TorchVersion}, {Environment.ProcessorCount} cores, {options.Threads} intra-op thread(s), device cpu");
Console.WriteLine();

// 1. Data: deterministic synthetic chats; the loss mask covers exactly the assistant answers and their end token.
var run = Path.GetFullPath(options.Output);
Directory.CreateDirectory(run);
var corpus = SyntheticChatCorpus.Create(options.Seed);
var dataPath = Path.Combine(run, "data");
corpus.WriteDataset(dataPath, options.TrainEpisodes, options.ValidationEpisodes, overwrite: true);
var mlContext = new MLContext(seed: options.Seed);
var data = mlContext.MaskedSft().LoadEpisodes(dataPath);
using var dataset = EpisodeDataset.Open(dataPath);
var stats = dataset.ComputeStatistics();
Console.WriteLine($"[1/4] data: {dataPath}");
Console.WriteLine($"      {dataset.Header.TrainEpisodeCount:N0} train + {dataset.Header.ValidationEpisodeCount:N0} validation episodes, {dataset.TokenCount:N0} tokens, " +
                  $"{dataset.Header.SupervisedTargetCount:N0} supervised targets ({(double)dataset.Header.SupervisedTargetCount / dataset.TokenCount:P0}), vocabulary {corpus.Vocabulary.Count}");
var sample = corpus.Generate(1, 1)[0];
Console.WriteLine($"      example, [trained] tokens in brackets: {Report.Bracketed(corpus, sample)}");
Console.WriteLine();

// 2. Training through the ML.NET estimator (mlContext.MaskedSft().Trainers.LossMaskedSft), with progress.
var trainerOptions = new LossMaskedSftTrainer.Options
{
    Preset = "tiny",
    Steps = options.Steps,
    BatchSize = options.BatchSize,
    LearningRate = 3e-3,
    WarmupSteps = options.Steps / 20,
    WeightDecay = 0.0,
    Seed = (ulong)options.Seed,
    Device = Device.Cpu,
    LogInterval = Math.Max(1, options.Steps / 20),
    EvalInterval = Math.Max(1, options.Steps / 4),
    EvalBatches = null,
    CheckpointInterval = Math.Max(1, options.Steps / 2),
    KeepCheckpoints = 2,
    OutputDirectory = run,
    HardExamples = new HardExampleTrackerOptions { Capacity = 20, LogInterval = Math.Max(1, options.Steps / 4) },
    HardExampleDecoder = corpus,
    Log = new IndentedWriter("      "),
};
var trainer = mlContext.MaskedSft().Trainers.LossMaskedSft(trainerOptions);
var config = trainer.ModelConfig(dataset);
Console.WriteLine($"[2/4] training: tiny GPT, {config.Describe()}");
Console.WriteLine($"      {options.Steps} AdamW steps of {options.BatchSize} episodes, lr 3e-3 warmup + cosine, loss = masked token-mean cross-entropy");
var trainWatch = Stopwatch.StartNew();
using var model = trainer.Fit(data);
var training = model.TrainingResult!;
model.SaveModel(Path.Combine(run, "model"));
Console.WriteLine($"      trained in {trainWatch.Elapsed.TotalSeconds:F1} s");
Console.WriteLine();

// 3. What was learned: greedy answers to held-out chats, loss on trained vs masked tokens, the validation kit.
Console.WriteLine("[3/4] evaluation on the validation episodes");
var generation = Report.GreedyAnswers(model, corpus, options.ValidationEpisodes, options.Seed);
var (assistantLoss, userLoss) = Report.LossByRole(mlContext, model, mlContext.MaskedSft().LoadEpisodes(dataPath, DatasetSplit.Validation));
model.Model.Train(false);
var kit = CheckSuite.Run(model.Model);
foreach (var line in Report.Examples(generation, 3)) Console.WriteLine("      " + line);
Console.WriteLine();

// 4. Summary.
var metrics = MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl"));
var learned = generation.ExactMatch >= 0.9;
Console.WriteLine("[4/4] summary");
Console.WriteLine("      loss curve (step: train loss / validation loss):");
foreach (var line in Report.LossCurve(metrics)) Console.WriteLine("        " + line);
Console.WriteLine($"      final train loss {training.FinalLoss:F4}, validation loss {training.FinalValidationLoss:F4}");
Console.WriteLine($"      loss on assistant tokens (trained) {assistantLoss:F3} vs user tokens (masked) {userLoss:F3}; ln(V) = {Math.Log(config.VocabSize):F3}");
Console.WriteLine($"      response pattern learned: {(learned ? "YES" : "NO")}: {generation.ExactMatch:P1} of {generation.Count} held-out questions answered exactly ({generation.TokenAccuracy:P1} of answer tokens)");
if (training.HardExamples is { } hard)
{
    Console.WriteLine("      " + HardExampleListing.Summary(hard) + "; the hardest:");
    foreach (var line in HardExampleListing.Lines(hard, top: 5, maxTextLength: 70)) Console.WriteLine("        " + line);
}

// report.html again, now with the validation kit's table (the trainer wrote it at the end of training without one).
TrainingReportHtml.Write(run, new TrainingReportContent
{
    Result = training,
    Model = "tiny GPT, " + config.Describe(),
    DatasetPath = dataPath,
    Configuration = TrainingReportHtml.ConfigurationOf(trainerOptions),
    Decoder = corpus,
    Tables = [kit.ToReportTable("Validation kit on the trained model")],
});
Console.WriteLine("      validation kit on the trained model:");
foreach (var line in kit.ToTable().TrimEnd('\n').Split('\n')) Console.WriteLine("        " + line);
Console.WriteLine($"      run directory: {run}");
foreach (var entry in Report.RunDirectory(run)) Console.WriteLine("        " + entry);
Console.WriteLine($"      total time {total.Elapsed.TotalSeconds:F1} s");
var ok = learned && kit.AllPassed;
Console.WriteLine(ok ? "MAIN JOB PASSED" : "MAIN JOB FAILED");
return ok ? 0 : 1;
