// The C# tracker against the Python reference tracker (bench/HardExamples/reference_tracker.py) on a fixed stream.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleReferenceTests
{
    [TestMethod]
    public void Tracker_FixtureStream_SnapshotsEqualPythonReference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(HardExampleTestData.FixturePath("tracker_stream.json")));
        var root = doc.RootElement;
        var tracker = new HardExampleTracker(new HardExampleTrackerOptions
        {
            Capacity = root.GetProperty("capacity").GetInt32(),
            HighLossQuantile = root.GetProperty("quantile").GetDouble(),
        });
        int every = root.GetProperty("snapshot_every").GetInt32();
        var expected = root.GetProperty("snapshots").EnumerateArray().ToArray();
        int snapshot = 0;
        foreach (var s in root.GetProperty("steps").EnumerateArray())
        {
            long step = s.GetProperty("step").GetInt64();
            var losses = s.GetProperty("losses").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? float.NaN : (float)v.GetDouble()).ToArray();
            var keys = s.GetProperty("keys").EnumerateArray().Select(v => v.GetString()!).ToArray();
            tracker.UpdateLosses(step, losses);
            tracker.AddExamples(step, HardExampleTestData.Batch(losses.Length, 0), losses, keys);
            if (step % every == every - 1)
            {
                var want = expected[snapshot++];
                var got = tracker.Snapshot(step);
                Assert.AreEqual(want.GetProperty("threshold").GetDouble(), got.Threshold, 1e-9, $"threshold at step {step}");
                Assert.AreEqual(want.GetProperty("interval_sample_count").GetInt64(), got.IntervalSampleCount);
                var wantEntries = want.GetProperty("entries").EnumerateArray()
                    .Select(e => $"{e.GetProperty("key").GetString()}:{e.GetProperty("loss").GetDouble()}:{e.GetProperty("step").GetInt64()}:{e.GetProperty("max_loss_step").GetInt64()}:{e.GetProperty("seen_count").GetInt64()}")
                    .ToArray();
                var gotEntries = got.Entries.Select(e => $"{e.Key}:{e.Loss}:{e.Step}:{e.MaxLossStep}:{e.SeenCount}").ToArray();
                CollectionAssert.AreEqual(wantEntries, gotEntries, $"entries at step {step}");
            }
        }

        Assert.AreEqual(expected.Length, snapshot);
        Assert.AreEqual(root.GetProperty("total_seen").GetInt64(), tracker.TotalSamplesSeen);
        Assert.AreEqual(root.GetProperty("total_admitted").GetInt64(), tracker.TotalAdmitted);
    }
}
