// Tests of metrics.jsonl: field names, round trip, and truncation of abandoned steps on resume.
using System.Text.Json;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
public sealed class MetricsWriterTests
{
    [TestMethod]
    public void Write_HardExampleSection_RoundTripsWithNaNThreshold()
    {
        var dir = Directory.CreateTempSubdirectory("msft-metrics-");
        try
        {
            var path = Path.Combine(dir.FullName, "metrics.jsonl");
            var withSection = new StepMetrics(4, 1.5, 0.25, 12.0, 0.5, 2.75, 1e-3, 1234.5, 17, HardExamples: new HardExampleMetrics(3, 0.75, 2.5, 40, 6));
            var beforeTracking = withSection with { Step = 5, HardExamples = new HardExampleMetrics(0, double.NaN, double.NaN, 0, 0) };
            using (var w = new MetricsWriter(path))
            {
                w.Write(withSection);
                w.Write(beforeTracking);
            }

            using (var doc = JsonDocument.Parse(File.ReadLines(path).First()))
            {
                var names = doc.RootElement.GetProperty("hard_examples").EnumerateObject().Select(p => p.Name).ToArray();
                CollectionAssert.AreEqual(new[] { "buffer_size", "threshold", "top_loss", "samples_seen", "admitted" }, names);
            }

            CollectionAssert.AreEqual(new[] { withSection, beforeTracking }, MetricsWriter.ReadAll(path).ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void Write_OneStep_WritesAllNamedFields()
    {
        var dir = Directory.CreateTempSubdirectory("msft-metrics-");
        try
        {
            var path = Path.Combine(dir.FullName, "metrics.jsonl");
            using (var w = new MetricsWriter(path))
            {
                w.Write(new StepMetrics(3, 1.5, 0.25, 12.0, 0.5, 2.75, 1e-3, 1234.5, 17, ValidationLoss: 1.75));
            }

            var line = File.ReadAllLines(path).Single();
            using var doc = JsonDocument.Parse(line);
            var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            CollectionAssert.AreEqual(
                new[] { "step", "loss", "grad_norm", "param_norm", "token_acc", "max_per_sample_loss", "lr", "tokens_per_s", "supervised_tokens", "val_loss" },
                names);
            var back = MetricsWriter.ReadAll(path).Single();
            Assert.AreEqual(new StepMetrics(3, 1.5, 0.25, 12.0, 0.5, 2.75, 1e-3, 1234.5, 17, 1.75), back);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Constructor_Resume_DropsStepsAfterCheckpointAndTornLines()
    {
        var dir = Directory.CreateTempSubdirectory("msft-metrics-");
        try
        {
            var path = Path.Combine(dir.FullName, "metrics.jsonl");
            using (var w = new MetricsWriter(path))
            {
                for (var s = 1; s <= 6; s++) w.Write(new StepMetrics(s, s, 0, 0, 0, 0, 0, 0, 0));
            }

            File.AppendAllText(path, "{\"step\": 7, \"lo");
            using (var w = new MetricsWriter(path, keepUpToStep: 4))
            {
                w.Write(new StepMetrics(5, 50, 0, 0, 0, 0, 0, 0, 0));
            }

            var steps = MetricsWriter.ReadAll(path).Select(m => (m.Step, m.Loss)).ToArray();
            CollectionAssert.AreEqual(new[] { (1L, 1.0), (2L, 2.0), (3L, 3.0), (4L, 4.0), (5L, 50.0) }, steps);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Write_NaNLoss_StaysReadable()
    {
        var dir = Directory.CreateTempSubdirectory("msft-metrics-");
        try
        {
            var path = Path.Combine(dir.FullName, "metrics.jsonl");
            using (var w = new MetricsWriter(path)) w.Write(new StepMetrics(1, double.NaN, double.PositiveInfinity, 0, 0, 0, 0, 0, 0));
            var m = MetricsWriter.ReadAll(path).Single();
            Assert.IsTrue(double.IsNaN(m.Loss));
            Assert.IsTrue(double.IsPositiveInfinity(m.GradNorm));
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
