// The trainer's TensorBoard events: the same numbers and steps as metrics.jsonl, snapshots as text, resume, off switch.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.TensorBoard;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Training;
using MaskedSft.Testing.Imaging;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.TensorBoard;

[TestClass]
[DoNotParallelize]
public sealed class TrainerTensorBoardTests : TrainingTestClass<TrainerTensorBoardTests>
{
    private static TrainerOptions Options(int steps, string run) => new()
    {
        MaxSteps = steps, BatchSize = 4, WarmupSteps = 2, LearningRate = 3e-3, LogInterval = 2, EvalInterval = 4, EvalBatches = 2,
        CheckpointInterval = 3, KeepCheckpoints = 5, Seed = 5, OutputDirectory = run,
        HardExamples = new HardExampleTrackerOptions { Capacity = 5, LogInterval = 3, HighLossQuantile = 0.5 },
        HardExampleDecoder = Fixture.Corpus,
    };

    [TestMethod]
    public void Run_WritesEveryMetricsLineAsScalars_AndEverySnapshotAsText()
    {
        var run = Fixture.NewDirectory("tb");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(8, run))) trainer.Run();

        var events = TensorBoardReader.ReadDirectory(Path.Combine(run, TrainingEventLog.DirectoryName));
        AssertScalarsEqualMetrics(run, events);
        var snapshots = File.ReadAllLines(Path.Combine(run, "hard_examples.jsonl"))
            .Select(l => JsonSerializer.Deserialize<HardExamplePayload>(l, HardExampleJson.Options)!).ToList();
        Assert.IsNotEmpty(snapshots);
        var texts = events.SelectMany(e => e.Values.Where(v => v.Tag == TrainingEventLog.SnapshotTag).Select(v => (e.Step, v.Text))).ToList();
        CollectionAssert.AreEqual(snapshots.Select(s => s.Step).ToArray(), texts.Select(t => t.Step).ToArray());
        for (var i = 0; i < snapshots.Count; i++)
        {
            Assert.AreEqual(HardExampleListing.Summary(snapshots[i]) + ".\n\n" + HardExampleListing.MarkdownTable(snapshots[i]), texts[i].Text);
            foreach (var e in snapshots[i].Entries) StringAssert.Contains(texts[i].Text, HardExampleListing.OneLine(e.Text, 160).Replace("|", "\\|", StringComparison.Ordinal)[..10]);
        }
    }

    [TestMethod]
    public void Resume_TensorBoardShowsTheSameStepsAsTheCutMetricsFile()
    {
        var run = Fixture.NewDirectory("tb-resume");
        var options = Options(8, run);
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, options)) trainer.Run(untilStep: 7); // checkpoints at 3 and 6, logs to 7

        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, options))
        {
            trainer.LoadCheckpoint(Path.Combine(run, "checkpoints", "step-00000003"));
            trainer.Run();
        }

        var folder = Path.Combine(run, TrainingEventLog.DirectoryName);
        Assert.HasCount(2, TensorBoardReader.Files(folder));
        var raw = TensorBoardReader.Files(folder).SelectMany(TensorBoardReader.ReadFile).Count(e => e.Values.Any(v => v.Tag == "loss") && e.Step == 4);
        Assert.AreEqual(2, raw, "fixture: step 4 was logged by the abandoned continuation and again after the resume");
        AssertScalarsEqualMetrics(run, TensorBoardReader.ReadDirectory(folder));
    }

    [TestMethod]
    public void FreshRunIntoTheSameDirectory_ReplacesTheOldEventFiles()
    {
        var run = Fixture.NewDirectory("tb-again");
        for (var i = 0; i < 2; i++)
        {
            using var model = new TinyGpt(Fixture.Config(), seed: 1 + (ulong)i);
            using var trainer = new Trainer(model, Fixture.Dataset, Options(2, run));
            trainer.Run();
        }

        Assert.HasCount(1, TensorBoardReader.Files(Path.Combine(run, TrainingEventLog.DirectoryName)));
        AssertScalarsEqualMetrics(run, TensorBoardReader.ReadDirectory(Path.Combine(run, TrainingEventLog.DirectoryName)));
    }

    [TestMethod]
    public void TensorBoardOff_WritesNoEventFiles()
    {
        var run = Fixture.NewDirectory("tb-off");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using (var trainer = new Trainer(model, Fixture.Dataset, Options(2, run) with { TensorBoard = false })) trainer.Run();
        Assert.IsTrue(File.Exists(Path.Combine(run, "metrics.jsonl")));
        Assert.IsFalse(Directory.Exists(Path.Combine(run, TrainingEventLog.DirectoryName)));
    }

    [TestMethod]
    public void SnapshotThumbnails_AreWrittenAsPngImages()
    {
        var run = Fixture.NewDirectory("tb-images");
        byte[] png;
        using (var scope = new DisposeScope())
        {
            var image = TorchOps.Arange(0L, 12 * 10 * 3, 1, ScalarType.Float32).Reshape(12, 10, 3).Div(360.0); // (H, W, C) in [0, 1)
            png = ImageThumbnail.EncodePng(image, size: 16);
        }

        HardExampleEntry Entry(string key, double loss, byte[]? thumbnail) => new()
        {
            Loss = loss, Step = 7, MaxLossStep = 7, ProcessIndex = 0, GlobalIndex = 1, Key = key, Text = "text of " + key, ThumbnailPng = thumbnail,
        };
        var payload = new HardExamplePayload
        {
            Step = 7, ProcessIndex = 0, Threshold = 1.0, IntervalSampleCount = 3, IntervalMaxLoss = 3.0,
            Entries = [Entry("a", 3.0, png), Entry("b", 2.0, null), Entry("c", 1.5, png)],
        };
        using (var log = new TrainingEventLog(run)) log.Write(payload);

        var events = TensorBoardReader.ReadDirectory(Path.Combine(run, TrainingEventLog.DirectoryName));
        var images = events.Single().Values.Where(v => v.Image is not null).ToList();
        CollectionAssert.AreEqual(new[] { TrainingEventLog.ThumbnailTag(0), TrainingEventLog.ThumbnailTag(2) }, images.Select(v => v.Tag).ToArray());
        foreach (var v in images)
        {
            Assert.AreEqual((16, 16, 3), (v.Image!.Height, v.Image.Width, v.Image.Colorspace));
            CollectionAssert.AreEqual(png, v.Image.Encoded);
        }
    }

    private static void AssertScalarsEqualMetrics(string run, IReadOnlyList<TensorBoardEvent> events)
    {
        var metrics = MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl"));
        var scalarEvents = events.Where(e => e.Values.Any(v => v.Scalar is not null)).ToList();
        CollectionAssert.AreEqual(metrics.Select(m => m.Step).ToArray(), scalarEvents.Select(e => e.Step).ToArray());
        Assert.IsTrue(metrics.Any(m => m.ValidationLoss is not null) && metrics.Any(m => m.HardExamples is not null), "fixture: validation and hard examples are logged");
        for (var i = 0; i < metrics.Count; i++)
        {
            var expected = StepMetricsScalars.Of(metrics[i]);
            var actual = scalarEvents[i].Values.ToDictionary(v => v.Tag, v => v.Scalar!.Value);
            Assert.HasCount(expected.Count, actual, $"step {metrics[i].Step}");
            foreach (var (name, value) in expected) Assert.AreEqual((float)value, actual[name], $"{name} of step {metrics[i].Step}");
        }
    }
}
