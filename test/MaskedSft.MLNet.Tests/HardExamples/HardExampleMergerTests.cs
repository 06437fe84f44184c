// Merge of several processes' payloads: round-robin fairness, de-duplication across processes, P = 1 equals top-K.
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleMergerTests
{
    private static HardExampleEntry Entry(string key, double loss, int process, long step = 1) => new()
    {
        Loss = loss, Step = step, MaxLossStep = step, ProcessIndex = process, GlobalIndex = 0, Key = key, Text = key,
    };

    private static HardExamplePayload Payload(int process, params HardExampleEntry[] entries) => new()
    {
        Step = 10, ProcessIndex = process, Entries = entries.OrderByDescending(e => e.Loss).ToArray(), Threshold = 1.0 + process,
        IntervalSampleCount = 100 * (process + 1), IntervalMaxLoss = entries.Length == 0 ? double.NaN : entries.Max(e => e.Loss),
        TotalSamplesSeen = 1000, TotalAdmitted = 10,
    };

    private static HardExamplePayload[] CloseLosses(int processes, int perProcess)
    {
        // Process 0's losses are all slightly higher than everyone else's: a plain top-K would give it every slot.
        return Enumerable.Range(0, processes).Select(p => Payload(p, Enumerable.Range(0, perProcess)
            .Select(r => Entry($"p{p}-r{r}", 9.0 - (0.01 * r) - (p == 0 ? 0 : 0.5), p)).ToArray())).ToArray();
    }

    [TestMethod]
    public void Merge_CloseLosses_EveryProcessGetsItsShare()
    {
        var merged = HardExampleMerger.Merge(CloseLosses(4, 10), 8);
        Assert.HasCount(8, merged.Entries);
        foreach (var group in merged.Entries.GroupBy(e => e.ProcessIndex))
        {
            Assert.AreEqual(2, group.Count(), $"process {group.Key}");
        }

        var plainTopK = CloseLosses(4, 10).SelectMany(p => p.Entries).OrderByDescending(e => e.Loss).Take(8);
        Assert.IsTrue(plainTopK.All(e => e.ProcessIndex == 0), "the scenario really is one where top-K starves processes 1-3");
    }

    [TestMethod]
    public void Merge_KNotMultipleOfP_PartialRoundGoesToHighestLosses()
    {
        var merged = HardExampleMerger.Merge(CloseLosses(3, 5), 7);
        var counts = merged.Entries.GroupBy(e => e.ProcessIndex).ToDictionary(g => g.Key, g => g.Count());
        Assert.AreEqual(3, counts[0], "round 2 (rank 2) is offered in loss order: process 0's rank-2 entry first");
        Assert.AreEqual(2, counts[1]);
        Assert.AreEqual(2, counts[2]);
    }

    [TestMethod]
    public void Merge_ResultSortedByLossDescending()
    {
        var merged = HardExampleMerger.Merge(CloseLosses(4, 10), 12);
        var losses = merged.Entries.Select(e => e.Loss).ToArray();
        CollectionAssert.AreEqual(losses.OrderByDescending(l => l).ToArray(), losses);
    }

    [TestMethod]
    public void Merge_ProcessWithFewEntries_OthersFillItsShare()
    {
        var payloads = new[]
        {
            Payload(0, Entry("a0", 5, 0), Entry("a1", 4, 0), Entry("a2", 3, 0), Entry("a3", 2, 0)),
            Payload(1, Entry("b0", 9, 1)),
            Payload(2),
        };
        var merged = HardExampleMerger.Merge(payloads, 4);
        CollectionAssert.AreEqual(new[] { "b0", "a0", "a1", "a2" }, merged.Entries.Select(e => e.Key).ToArray());
    }

    [TestMethod]
    public void Merge_SameKeyOnTwoProcesses_KeepsHighestLossAndLatestStep()
    {
        var payloads = new[]
        {
            Payload(0, Entry("shared", 7, 0, step: 30), Entry("x", 1, 0)),
            Payload(1, Entry("shared", 8, 1, step: 20) with { SeenCount = 2 }, Entry("y", 1, 1)),
        };
        var merged = HardExampleMerger.Merge(payloads, 10);
        var shared = merged.Entries.Single(e => e.Key == "shared");
        Assert.AreEqual(8.0, shared.Loss);
        Assert.AreEqual(1, shared.ProcessIndex);
        Assert.AreEqual(30L, shared.Step);
        Assert.AreEqual(20L, shared.MaxLossStep);
        Assert.AreEqual(3L, shared.SeenCount);
        Assert.HasCount(3, merged.Entries);
    }

    [TestMethod]
    public void Merge_SingleProcess_EqualsTopK()
    {
        var entries = Enumerable.Range(0, 20).Select(i => Entry($"k{i:D2}", (i * 37 % 11) + 0.5, 0)).ToArray();
        var merged = HardExampleMerger.Merge([Payload(0, entries)], 5);
        var expected = entries.OrderByDescending(e => e.Loss).ThenBy(e => e.Key, StringComparer.Ordinal).Take(5).Select(e => e.Key).ToArray();
        CollectionAssert.AreEqual(expected, merged.Entries.Select(e => e.Key).ToArray());
    }

    [TestMethod]
    public void Merge_Statistics_SummedAndWeighted()
    {
        var merged = HardExampleMerger.Merge([Payload(0, Entry("a", 3, 0)), Payload(1, Entry("b", 6, 1))], 5);
        Assert.AreEqual(-1, merged.ProcessIndex);
        Assert.AreEqual(2, merged.ProcessCount);
        Assert.AreEqual(300L, merged.IntervalSampleCount);
        Assert.AreEqual(6.0, merged.IntervalMaxLoss);
        Assert.AreEqual(((1.0 * 100) + (2.0 * 200)) / 300, merged.Threshold, 1e-12);
        Assert.AreEqual(2000L, merged.TotalSamplesSeen);
    }

    [TestMethod]
    public void Merge_TrackersOfFourProcesses_EndToEnd()
    {
        var payloads = new List<HardExamplePayload>();
        for (int p = 0; p < 4; p++)
        {
            var tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 6, HighLossQuantile = 0.5, ProcessIndex = p, ProcessCount = 4 });
            var rng = new Random(p);
            for (int step = 0; step < 5; step++)
            {
                var losses = Enumerable.Range(0, 8).Select(_ => (float)(5 + rng.NextDouble() + (p == 3 ? 1 : 0))).ToArray();
                var keys = Enumerable.Range(0, 8).Select(i => $"p{p}/s{step}/{i}").ToArray();
                tracker.UpdateLosses(step, losses);
                tracker.AddExamples(step, HardExampleTestData.Batch(8, 0), losses, keys);
            }

            payloads.Add(tracker.Snapshot(4));
        }

        var merged = HardExampleTracker.Merge(payloads, 6);
        Assert.HasCount(6, merged.Entries);
        Assert.IsTrue(Enumerable.Range(0, 4).All(p => merged.Entries.Any(e => e.ProcessIndex == p)), "every process is represented");
        Assert.AreEqual(160L, merged.IntervalSampleCount);
    }

    [TestMethod]
    public void Merge_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => HardExampleMerger.Merge(null!, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HardExampleMerger.Merge([], 0));
        Assert.IsEmpty(HardExampleMerger.Merge([], 3).Entries);
    }
}
