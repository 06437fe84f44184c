// Save/restore of HardExampleTracker: JSON round trip, identical behaviour after resume (exact and P2 phases), corrupt files.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Tests.Safetensors;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleCheckpointTests
{
    private static void Feed(HardExampleTracker t, int fromStep, int toStep, int seed)
    {
        for (int step = fromStep; step < toStep; step++)
        {
            var rng = new Random(seed + step);
            var losses = Enumerable.Range(0, 32).Select(_ => rng.NextDouble() < 0.05 ? float.NaN : (float)(rng.NextDouble() < 0.12 ? 3 + (7 * rng.NextDouble()) : 0.5 + (1.5 * rng.NextDouble()))).ToArray();
            var keys = Enumerable.Range(0, 32).Select(_ => $"ep{rng.Next(200):D3}").ToArray();
            t.UpdateLosses(step, losses);
            t.AddExamples(step, HardExampleTestData.Batch(32, step * 32L), losses, keys);
            if (step % 7 == 6)
            {
                t.Snapshot(step);
            }
        }
    }

    private static string Describe(HardExampleTracker t) => JsonSerializer.Serialize(t.SaveState(), HardExampleJson.Options);

    [TestMethod]
    [DataRow(100000, DisplayName = "exact quantile phase")]
    [DataRow(16, DisplayName = "P2 estimator phase")]
    public void SaveLoad_MidInterval_ResumesIdentically(int exactLimit)
    {
        using var dir = new TempDirectory();
        var options = new HardExampleTrackerOptions { Capacity = 10, HighLossQuantile = 0.8, ExactQuantileLimit = exactLimit };
        var straight = new HardExampleTracker(options);
        Feed(straight, 0, 10, 1);
        var path = dir.File("ckpt/hard_examples.json");
        straight.Save(path);
        var resumed = HardExampleTracker.Load(path);
        Assert.AreEqual(Describe(straight), Describe(resumed), "the reloaded state is identical");
        Assert.AreEqual(straight.CurrentThreshold, resumed.CurrentThreshold);

        Feed(straight, 10, 30, 1);
        Feed(resumed, 10, 30, 1);
        Assert.AreEqual(Describe(straight), Describe(resumed), "and so is everything after the same further steps");
        Assert.AreEqual(10, resumed.Count);
        var a = straight.Snapshot(30);
        var b = resumed.Snapshot(30);
        Assert.AreEqual(a.Threshold, b.Threshold);
        Assert.AreEqual(a.IntervalSampleCount, b.IntervalSampleCount);
        Assert.IsTrue(a.Entries.Select(e => (e.Key, e.Loss, e.Step, e.Text)).SequenceEqual(b.Entries.Select(e => (e.Key, e.Loss, e.Step, e.Text))));
    }

    [TestMethod]
    public void SaveState_P2Phase_HasNoLossArray()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { ExactQuantileLimit = 16 });
        Feed(t, 0, 3, 2);
        var state = t.SaveState();
        Assert.IsNull(state.IntervalSortedLosses);
        Assert.IsNotNull(state.EstimatorHeights);
    }

    [TestMethod]
    public void Load_CorruptFile_ThrowsInvalidDataNamingFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.json");
        File.WriteAllText(path, "{\"format_version\":1,");
        var ex = Assert.Throws<InvalidDataException>(() => HardExampleTracker.Load(path));
        StringAssert.Contains(ex.Message, "bad.json");
        StringAssert.Contains(ex.Message, "Hint:");
    }

    [TestMethod]
    public void Restore_InconsistentStates_Throw()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 3, HighLossQuantile = 0 });
        Feed(t, 0, 2, 3);
        var good = t.SaveState();
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { FormatVersion = 99 }));
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { Entries = good.Entries.Reverse().ToArray() }));
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { Options = good.Options with { Capacity = 1 } }));
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { IntervalCount = good.IntervalCount + 1 }));
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { Options = good.Options with { HighLossQuantile = 2 } }));
        Assert.Throws<InvalidDataException>(() => HardExampleTracker.Restore(good with { IntervalSortedLosses = null }));
        Assert.AreEqual(3, HardExampleTracker.Restore(good).Count);
    }
}
