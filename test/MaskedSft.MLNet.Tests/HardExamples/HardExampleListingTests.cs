// Human-readable hard-example listings: summary line, ranked lines, Markdown table escaping, one-line shortening.
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleListingTests
{
    private static HardExampleEntry Entry(double loss, string key, string text, long step = 5, long maxStep = 5, long seen = 1) => new()
    {
        Loss = loss, Step = step, MaxLossStep = maxStep, ProcessIndex = 0, GlobalIndex = 17, Key = key, Text = text, SeenCount = seen,
    };

    private static HardExamplePayload Payload(params HardExampleEntry[] entries) => new()
    {
        Step = 20, ProcessIndex = 0, Entries = entries, Threshold = 1.25, IntervalSampleCount = 40, IntervalMaxLoss = 4, TotalSamplesSeen = 1234, TotalAdmitted = 56,
    };

    [TestMethod]
    public void Summary_And_Lines()
    {
        var payload = Payload(Entry(4.5, "a", "first\nsecond", step: 9, maxStep: 5, seen: 3), Entry(2.0, "b", "plain"));
        Assert.AreEqual("hard examples at step 20: 2 entries, threshold 1.2500, 1,234 samples seen, 56 admitted", HardExampleListing.Summary(payload));
        var lines = HardExampleListing.Lines(payload, top: 5).ToArray();
        CollectionAssert.AreEqual(new[]
        {
            "#1 loss 4.5000 step 9 (max at 5) episode 17, seen 3x: \"first⏎second\"",
            "#2 loss 2.0000 step 5 episode 17, seen 1x: \"plain\"",
        }, lines);
        Assert.AreEqual(1, HardExampleListing.Lines(payload, top: 1).Count());
        StringAssert.Contains(HardExampleListing.Summary(Payload() with { Threshold = double.NaN }), "threshold n/a");
    }

    [TestMethod]
    public void MarkdownTable_EscapesPipesAndCutsLongText()
    {
        var table = HardExampleListing.MarkdownTable(Payload(Entry(3.0, "k", "a|b `c` " + new string('x', 300))), maxTextLength: 20);
        var row = table.Split('\n')[2];
        StringAssert.StartsWith(row, "| 1 | 3.0000 | 5 | 5 | 17 | 1 | a\\|b \\`c\\` xxxxxxxxxxx… |");
        Assert.AreEqual("No sample reached the admission threshold.\n", HardExampleListing.MarkdownTable(Payload()));
    }

    [TestMethod]
    public void OneLine_ShortTextUnchanged_LongTextEllipsized()
    {
        Assert.AreEqual("abc", HardExampleListing.OneLine("abc", 3));
        Assert.AreEqual("ab…", HardExampleListing.OneLine("abcd", 3));
        Assert.AreEqual("a⏎b c", HardExampleListing.OneLine("a\r\nb\tc", 10));
    }
}
