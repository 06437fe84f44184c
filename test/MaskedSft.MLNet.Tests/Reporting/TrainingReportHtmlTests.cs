// report.html: written by the trainer beside report.md, self-contained, escaped, and rendered by headless Chromium with
// visible curves.
using System.Text.RegularExpressions;
using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Reporting;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Training;
using MaskedSft.Testing.Imaging;

namespace MaskedSft.MLNet.Tests.Reporting;

[TestClass]
[DoNotParallelize]
public sealed partial class TrainingReportHtmlTests : TrainingTestClass<TrainingReportHtmlTests>
{
    private static string? s_run;

    /// <summary>One 12-step run with validation and hard examples, shared by the tests (its report.html is what they read).</summary>
    private static string Run()
    {
        if (s_run is not null) return s_run;
        var run = Fixture.NewDirectory("html");
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions
        {
            MaxSteps = 12, BatchSize = 4, WarmupSteps = 2, LearningRate = 3e-3, LogInterval = 1, EvalInterval = 4, EvalBatches = 2,
            CheckpointInterval = 0, Seed = 5, OutputDirectory = run,
            HardExamples = new HardExampleTrackerOptions { Capacity = 5, LogInterval = 4, HighLossQuantile = 0.5 },
            HardExampleDecoder = Fixture.Corpus,
        });
        trainer.Run();
        return s_run = run;
    }

    [TestMethod]
    public void Trainer_WritesASelfContainedReportHtml_WithCurvesHardExamplesMaskViewAndConfiguration()
    {
        var html = File.ReadAllText(Path.Combine(Run(), TrainingReportHtml.FileName));
        var metrics = MetricsWriter.ReadAll(Path.Combine(Run(), "metrics.jsonl"));
        StringAssert.StartsWith(html, "<!DOCTYPE html>");
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotMatchRegex(new Regex("(src|href)=\"(https?:|//|file:)"), html, "nothing may load from outside the file");

        // The loss path has one point per logged step; validation markers one per evaluation.
        var lossPath = LossPath().Match(html);
        Assert.IsTrue(lossPath.Success, "the training-loss path is in the loss chart");
        Assert.AreEqual(metrics.Count, Regex.Matches(lossPath.Groups[1].Value, "[ML]").Count);
        Assert.AreEqual(metrics.Count(m => m.ValidationLoss is not null), ValidationMarkers().Match(html).Groups[1].Value.Split("<circle").Length - 1);
        StringAssert.Contains(html, "class=\"series series-lr\"");

        // Hard examples with their decoded text; the mask view highlights exactly the trained tokens of episode 0.
        var sections = html.Split("<section id=\"mask-view\">");
        StringAssert.Contains(sections[0], "<td class=\"text\">");
        var firstEpisode = sections[1].Split("<div class=\"episode\">")[1];
        Assert.AreEqual(Fixture.Dataset.GetEpisodeMask(0).Count(m => m != 0), Regex.Matches(firstEpisode, "class=\"tok trained\"").Count);
        Assert.AreEqual(Fixture.Dataset.GetEpisodeTokens(0).Length, Regex.Matches(firstEpisode, "class=\"tok( trained)?\"").Count);
        StringAssert.Contains(html, "<th>LearningRate</th><td>0.003</td>");
    }

    [TestMethod]
    public void Format_EscapesEverythingFromData_AndEmbedsThumbnailsAsDataUrls()
    {
        var hostile = "<script>alert('x')</script> & \"quoted\"";
        var payload = new HardExamplePayload
        {
            Step = 3, ProcessIndex = 0, Threshold = 1, IntervalSampleCount = 1, IntervalMaxLoss = 2,
            Entries = [new HardExampleEntry { Loss = 2, Step = 3, MaxLossStep = 3, ProcessIndex = 0, GlobalIndex = 9, Key = hostile, Text = hostile, ThumbnailPng = [137, 80, 78, 71] }],
        };
        var content = new TrainingReportContent
        {
            Result = new TrainingResult(3, 3, false, [], 1.0, null, TimeSpan.FromSeconds(1), null, payload),
            Model = hostile,
            DatasetPath = string.Empty,
            Configuration = [new(hostile, hostile)],
            Tables = [new CheckReport([new CheckResult(hostile, false, CheckResult.Values(("x", 1)), hostile)]).ToReportTable(hostile)],
        };
        var html = TrainingReportHtml.Format(content, [new StepMetrics(1, 2.0, 1, 1, 0.5, 2, 1e-3, 100, 10), new StepMetrics(2, 1.0, 1, 1, 0.5, 2, 1e-3, 100, 10)]);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("'x'", html);
        StringAssert.Contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;");
        StringAssert.Contains(html, "src=\"data:image/png;base64,iVBORw==\"");
        StringAssert.Contains(html, "<tr class=\"fail\">");
    }

    [TestMethod]
    public void Chromium_RendersTheReport_NotBlank_WithTheCurvesDrawn()
    {
        var report = Path.Combine(Run(), TrainingReportHtml.FileName);
        const int width = 1280, height = 1400;
        var image = PngDecoder.Decode(HeadlessChromium.Screenshot(report, width, height));
        Assert.AreEqual((width, height), (image.Width, image.Height));

        // Not blank: the grey levels vary.
        double sum = 0, sumSquares = 0;
        var n = image.Width * image.Height;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                double grey = (image[y, x, 0] + image[y, x, 1] + image[y, x, 2]) / 3.0;
                sum += grey;
                sumSquares += grey * grey;
            }
        }

        var variance = (sumSquares / n) - ((sum / n) * (sum / n));
        Assert.IsGreaterThan(100.0, variance, $"the screenshot is (nearly) blank: grey variance {variance:F1}");

        // The curves were drawn: pixels of the training-loss and learning-rate line colours are on screen.
        Assert.IsGreaterThan(400, Count(image, 0x1f, 0x77, 0xb4), "training-loss line pixels (#1f77b4)");
        Assert.IsGreaterThan(400, Count(image, 0x2c, 0xa0, 0x2c), "learning-rate line pixels (#2ca02c)");

        // And the DOM after loading holds the charts' SVG paths.
        var dom = HeadlessChromium.DumpDom(report);
        Assert.AreEqual(3, Regex.Matches(dom, "<svg class=\"chart\"").Count);
        Assert.IsTrue(LossPath().IsMatch(dom), "the loss path is in Chromium's DOM");
        StringAssert.Contains(dom, "class=\"series series-lr\"");
    }

    [TestMethod]
    public void Ticks_OfASpanFarBelowTheValues_EndAndStayFew()
    {
        // A constant learning rate with rounding noise (regression: accumulating t += step never reached the end).
        var ticks = SvgLineChart.Ticks(0.001, 0.0010000000000000002, 5);
        Assert.IsLessThanOrEqualTo(20, ticks.Count);
        CollectionAssert.AreEqual(new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 }, SvgLineChart.Ticks(0, 1, 5).Select(t => Math.Round(t, 12)).ToArray());
        var svg = SvgLineChart.Render("lr", [new ChartSeries("lr", "lr", "#000", [(1, 0.001), (2, 0.0010000000000000002), (3, 0.001)])]);
        StringAssert.Contains(svg, "series-lr");
    }

    private static int Count(PngImage image, int r, int g, int b)
    {
        var count = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                if (Math.Abs(image[y, x, 0] - r) <= 6 && Math.Abs(image[y, x, 1] - g) <= 6 && Math.Abs(image[y, x, 2] - b) <= 6) count++;
            }
        }

        return count;
    }

    [GeneratedRegex("<path class=\"series series-loss\" d=\"([^\"]+)\"")]
    private static partial Regex LossPath();

    [GeneratedRegex("<g class=\"series series-val_loss\"[^>]*>(.*?)</g>")]
    private static partial Regex ValidationMarkers();
}
