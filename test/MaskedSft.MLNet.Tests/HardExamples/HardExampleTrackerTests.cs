// Behaviour of HardExampleTracker: threshold, admission, de-duplication, capacity, payload laziness, snapshots, errors.
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleTrackerTests
{
    private static HardExampleTracker Tracker(int capacity = 3, double quantile = 0.5) =>
        new(new HardExampleTrackerOptions { Capacity = capacity, HighLossQuantile = quantile });

    private static int Step(HardExampleTracker t, long step, float[] losses, string[] keys, Action<int>? onThumbnail = null)
    {
        t.UpdateLosses(step, losses);
        return t.AddExamples(step, HardExampleTestData.Batch(losses.Length, step * 100, onThumbnail), losses, keys);
    }

    [TestMethod]
    public void UpdateLosses_Batch_ThresholdIsLinearQuantile()
    {
        var t = Tracker(quantile: 0.9);
        var stats = t.UpdateLosses(0, [1, 2, 3, 4, 5]);
        Assert.AreEqual(4.6, stats.Threshold, 1e-12);
        Assert.AreEqual(5L, stats.SampleCount);
        Assert.AreEqual(5.0, stats.MaxLoss);
        Assert.IsTrue(stats.ThresholdIsExact);
        stats = t.UpdateLosses(1, [10]);
        Assert.AreEqual(7.5, stats.Threshold, 1e-12, "the interval's quantile covers every step since the last snapshot");
        Assert.AreEqual(10.0, stats.MaxLoss);
    }

    [TestMethod]
    public void AddExamples_OnlySamplesAtOrAboveThresholdAreAdmitted()
    {
        var t = Tracker(capacity: 10, quantile: 0.5);
        int admitted = Step(t, 0, [1, 2, 3, 4, 5], ["a", "b", "c", "d", "e"]);
        Assert.AreEqual(3.0, t.CurrentThreshold);
        Assert.AreEqual(3, admitted);
        CollectionAssert.AreEqual(new[] { "e", "d", "c" }, t.Entries.Select(e => e.Key).ToArray());
        Assert.AreEqual(3L, t.TotalAdmitted);
    }

    [TestMethod]
    public void AddExamples_MoreThanCapacity_KeepsTopKSortedDescending()
    {
        var t = Tracker(capacity: 3, quantile: 0);
        Step(t, 0, [5, 1, 9, 7, 3], ["a", "b", "c", "d", "e"]);
        Step(t, 1, [8, 2], ["f", "g"]);
        CollectionAssert.AreEqual(new[] { "c", "f", "d" }, t.Entries.Select(e => e.Key).ToArray());
        CollectionAssert.AreEqual(new[] { 9.0, 8.0, 7.0 }, t.Entries.Select(e => e.Loss).ToArray());
        Assert.AreEqual(3, t.Count);
    }

    [TestMethod]
    public void AddExamples_KeySeenAgain_KeepsHighestLossAndLatestStep()
    {
        var t = Tracker(capacity: 5, quantile: 0);
        Step(t, 0, [6], ["k"]);
        Step(t, 1, [4], ["k"]);
        var e = t.Entries.Single();
        Assert.AreEqual(6.0, e.Loss, "a lower loss does not replace the highest");
        Assert.AreEqual(1L, e.Step, "but the step is the latest");
        Assert.AreEqual(0L, e.MaxLossStep);
        Assert.AreEqual(2L, e.SeenCount);
        Step(t, 2, [7], ["k"]);
        e = t.Entries.Single();
        Assert.AreEqual(7.0, e.Loss);
        Assert.AreEqual(2L, e.Step);
        Assert.AreEqual(2L, e.MaxLossStep);
        Assert.AreEqual(200L, e.GlobalIndex, "payload comes from the highest-loss occurrence");
        Assert.AreEqual(3L, e.SeenCount);
    }

    [TestMethod]
    public void AddExamples_DuplicateKeysWithinOneBatch_OneEntry()
    {
        var t = Tracker(capacity: 5, quantile: 0);
        Step(t, 0, [2, 9, 4], ["x", "x", "x"]);
        var e = t.Entries.Single();
        Assert.AreEqual(9.0, e.Loss);
        Assert.AreEqual(1L, e.GlobalIndex);
        Assert.AreEqual(3L, e.SeenCount);
    }

    [TestMethod]
    public void AddExamples_EqualLosses_TieBrokenByKeyOrdinal()
    {
        var t = Tracker(capacity: 2, quantile: 0);
        Step(t, 0, [5, 5, 5], ["b", "c", "a"]);
        CollectionAssert.AreEqual(new[] { "a", "b" }, t.Entries.Select(e => e.Key).ToArray());
    }

    [TestMethod]
    public void AddExamples_PayloadFetchedOnlyForEnteringSamples()
    {
        var t = Tracker(capacity: 2, quantile: 0);
        var fetched = new List<int>();
        Step(t, 0, [9, 8, 1, 2, 3], ["a", "b", "c", "d", "e"], fetched.Add);
        CollectionAssert.AreEqual(new[] { 0, 1 }, fetched, "samples that cannot beat the full buffer cost nothing");
        Assert.AreEqual("move right 1cm", t.Entries[0].Text);
        CollectionAssert.AreEqual(new byte[] { 0 }, t.Entries[0].ThumbnailPng);
    }

    [TestMethod]
    public void NonFiniteLosses_AreCountedButNeverAdmitted()
    {
        var t = Tracker(capacity: 5, quantile: 0);
        var stats = t.UpdateLosses(0, [float.NaN, 3, float.PositiveInfinity, 1]);
        Assert.AreEqual(2L, stats.NonFiniteCount);
        Assert.AreEqual(2L, stats.SampleCount);
        Assert.AreEqual(3.0, stats.MaxLoss);
        t.AddExamples(0, HardExampleTestData.Batch(4, 0), [float.NaN, 3, float.PositiveInfinity, 1], ["n", "a", "i", "b"]);
        CollectionAssert.AreEqual(new[] { "a", "b" }, t.Entries.Select(e => e.Key).ToArray());
        Assert.AreEqual(4L, t.TotalSamplesSeen);
    }

    [TestMethod]
    public void AddExamples_BeforeUpdateLosses_ThrowsWithHint()
    {
        var t = Tracker();
        var ex = Assert.Throws<InvalidOperationException>(() => t.AddExamples(3, HardExampleTestData.Batch(1, 0), [1], ["a"]));
        StringAssert.Contains(ex.Message, "UpdateLosses");
        StringAssert.Contains(ex.Message, "step 3");
    }

    [TestMethod]
    public void AddExamples_LengthMismatch_Throws()
    {
        var t = Tracker();
        t.UpdateLosses(0, [1, 2]);
        Assert.Throws<ArgumentException>(() => t.AddExamples(0, HardExampleTestData.Batch(2, 0), [1, 2], ["a"]));
        Assert.Throws<ArgumentException>(() => t.AddExamples(0, HardExampleTestData.Batch(3, 0), [1, 2], ["a", "b"]));
    }

    [TestMethod]
    public void Snapshot_ReturnsPayloadAndResetsIntervalButKeepsBuffer()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 4, HighLossQuantile = 0.5, ProcessIndex = 2, ProcessCount = 4 });
        Step(t, 0, [1, 2, 3, 4], ["a", "b", "c", "d"]);
        var payload = t.Snapshot(0);
        Assert.AreEqual(2.5, payload.Threshold, 1e-12);
        Assert.AreEqual(4L, payload.IntervalSampleCount);
        Assert.AreEqual(4.0, payload.IntervalMaxLoss);
        Assert.AreEqual(2, payload.ProcessIndex);
        Assert.IsTrue(payload.Entries.All(e => e.ProcessIndex == 2));
        CollectionAssert.AreEqual(new[] { "d", "c" }, payload.Entries.Select(e => e.Key).ToArray());
        Assert.AreEqual(0L, t.IntervalSampleCount);
        Assert.IsTrue(double.IsNaN(t.CurrentThreshold));
        Assert.AreEqual(2, t.Count, "the buffer persists across intervals");
        Step(t, 1, [0.5f, 0.25f], ["e", "f"]);
        Assert.AreEqual(0.375, t.CurrentThreshold, 1e-12, "the new interval's threshold ignores older losses");
        Assert.AreEqual(3, t.Count);
    }

    [TestMethod]
    public void Peek_ReturnsTheSnapshotPayloadWithoutStartingANewInterval()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 4, HighLossQuantile = 0.5 });
        Step(t, 0, [1, 2, 3, 4], ["a", "b", "c", "d"]);
        var peeked = t.Peek(0);
        Assert.AreEqual(4L, t.IntervalSampleCount, "Peek keeps the interval");
        var snapshot = t.Snapshot(0);
        Assert.AreEqual(HardExampleJson.Serialize(snapshot), HardExampleJson.Serialize(peeked));
    }

    [TestMethod]
    public void Snapshot_Json_RoundTrips()
    {
        var t = Tracker(capacity: 4, quantile: 0.5);
        Step(t, 7, [1, 2, 3, 4], ["a", "b", "c", "d"]);
        var payload = t.Snapshot(7);
        var json = HardExampleJson.Serialize(payload);
        StringAssert.Contains(json, "\"interval_sample_count\":4");
        StringAssert.Contains(json, "\"thumbnail_png\":");
        var back = HardExampleJson.DeserializePayload(json);
        Assert.AreEqual(payload.Threshold, back.Threshold);
        Assert.HasCount(payload.Entries.Count, back.Entries);
        for (int i = 0; i < payload.Entries.Count; i++)
        {
            Assert.AreEqual(payload.Entries[i] with { ThumbnailPng = null }, back.Entries[i] with { ThumbnailPng = null });
            CollectionAssert.AreEqual(payload.Entries[i].ThumbnailPng, back.Entries[i].ThumbnailPng);
        }
    }

    [TestMethod]
    public void Options_OutOfRange_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardExampleTracker(new HardExampleTrackerOptions { HighLossQuantile = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardExampleTracker(new HardExampleTrackerOptions { HighLossQuantile = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardExampleTracker(new HardExampleTrackerOptions { LogInterval = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HardExampleTracker(new HardExampleTrackerOptions { ProcessIndex = 1, ProcessCount = 1 }));
    }

    [TestMethod]
    public void IsLogStep_EveryLogIntervalSteps()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { LogInterval = 50 });
        Assert.IsTrue(t.IsLogStep(0));
        Assert.IsFalse(t.IsLogStep(49));
        Assert.IsTrue(t.IsLogStep(100));
    }

    [TestMethod]
    public void LongInterval_MemoryStaysBounded()
    {
        var t = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 50, HighLossQuantile = 0.9, ExactQuantileLimit = 4096, LogInterval = 1_000_000 });
        var rng = new Random(5);
        var losses = new float[256];
        var keys = new string[256];
        var batch = HardExampleTestData.Batch(256, 0);
        long after100 = 0;
        for (int step = 0; step < 400; step++)
        {
            for (int i = 0; i < losses.Length; i++)
            {
                losses[i] = (float)(rng.NextDouble() < 0.12 ? 3 + (7 * rng.NextDouble()) : 0.5 + (1.5 * rng.NextDouble()));
                keys[i] = "k" + rng.Next(1_000_000);
            }

            t.UpdateLosses(step, losses);
            t.AddExamples(step, batch, losses, keys);
            if (step == 99)
            {
                after100 = t.RetainedBytes;
            }
        }

        Assert.AreEqual(50, t.Count);
        Assert.AreEqual(102_400L, t.TotalSamplesSeen);
        Assert.IsLessThan(64 * 1024L, t.RetainedBytes, "no interval buffer survives the hand-over to the P2 estimator");
        Assert.IsLessThanOrEqualTo(after100 + 4096, t.RetainedBytes, "memory does not grow with samples seen");
    }
}
