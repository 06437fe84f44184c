// Property test: for random streams the buffer equals the true top-K distinct keys among admitted samples, sorted.
using FsCheck;
using FsCheck.Fluent;
using MaskedSft.MLNet.HardExamples;
using Microsoft.FSharp.Core;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class HardExampleTrackerPropertyTests
{
    /// <summary>A generated scenario: capacity, quantile, and steps of (key index, quantized loss) with snapshot flags.</summary>
    public sealed record Scenario(int Capacity, double Quantile, (int Key, float Loss)[][] Steps, bool[] SnapshotAfter)
    {
        public override string ToString() =>
            $"K={Capacity} q={Quantile} steps=[{string.Join(" | ", Steps.Select((s, i) => string.Join(",", s.Select(x => $"k{x.Key}:{x.Loss}")) + (SnapshotAfter[i] ? " S" : "")))}]";
    }

    private static Gen<Scenario> Scenarios() =>
        from capacity in Gen.Choose(1, 8)
        from quantile in Gen.Elements(0.0, 0.25, 0.5, 0.9, 1.0)
        from keyCount in Gen.Choose(1, 20)
        from stepCount in Gen.Choose(1, 12)
        from steps in Gen.ArrayOf(Gen.Choose(1, 10).SelectMany(n => Gen.ArrayOf(Sample(keyCount), n)), stepCount)
        from snapshots in Gen.ArrayOf(Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true))), stepCount)
        select new Scenario(capacity, quantile, steps, snapshots);

    /// <summary>A (key, loss) pair: losses are quarters in [0, 10] so ties are common; one in ten is NaN.</summary>
    private static Gen<(int Key, float Loss)> Sample(int keyCount) =>
        from key in Gen.Choose(0, keyCount - 1)
        from quarter in Gen.Frequency((9, Gen.Choose(0, 40)), (1, Gen.Constant(-1)))
        select (key, quarter < 0 ? float.NaN : quarter / 4f);

    /// <summary>Runs the tracker and a brute-force model side by side; returns null when they agree, else the difference.</summary>
    internal static string? Disagreement(Scenario s)
    {
        var tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = s.Capacity, HighLossQuantile = s.Quantile, ExactQuantileLimit = 1000 });
        var best = new Dictionary<string, (double Loss, long Step)>(StringComparer.Ordinal);
        var interval = new List<float>();
        for (int step = 0; step < s.Steps.Length; step++)
        {
            var losses = s.Steps[step].Select(x => x.Loss).ToArray();
            var keys = s.Steps[step].Select(x => $"k{x.Key}").ToArray();
            tracker.UpdateLosses(step, losses);
            interval.AddRange(losses.Where(float.IsFinite));
            var sorted = interval.Order().ToArray();
            double threshold = IntervalLossStatistics.ExactQuantile(sorted, s.Quantile);
            if (!(double.IsNaN(threshold) && double.IsNaN(tracker.CurrentThreshold)) && Math.Abs(threshold - tracker.CurrentThreshold) > 1e-9)
            {
                return $"step {step}: threshold {tracker.CurrentThreshold}, expected {threshold}";
            }

            if (!double.IsNaN(threshold))
            {
                int admitted = tracker.AddExamples(step, HardExampleTestData.Batch(losses.Length, 0), losses, keys);
                int expectedAdmitted = 0;
                for (int i = 0; i < losses.Length; i++)
                {
                    if (float.IsFinite(losses[i]) && losses[i] >= threshold)
                    {
                        expectedAdmitted++;
                        best[keys[i]] = best.TryGetValue(keys[i], out var b) ? (Math.Max(b.Loss, losses[i]), step) : (losses[i], step);
                    }
                }

                if (admitted != expectedAdmitted)
                {
                    return $"step {step}: admitted {admitted}, expected {expectedAdmitted}";
                }
            }

            var expected = best.OrderByDescending(kv => kv.Value.Loss).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(s.Capacity)
                .Select(kv => (kv.Key, kv.Value.Loss, kv.Value.Step)).ToArray();
            var actual = tracker.Entries.Select(e => (e.Key, e.Loss, e.Step)).ToArray();
            if (!expected.SequenceEqual(actual))
            {
                return $"step {step}: buffer [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]";
            }

            if (s.SnapshotAfter[step])
            {
                var payload = tracker.Snapshot(step);
                if (!payload.Entries.Select(e => (e.Key, e.Loss, e.Step)).SequenceEqual(actual))
                {
                    return $"step {step}: snapshot entries differ from the buffer";
                }

                interval.Clear();
            }
        }

        return null;
    }

    [TestMethod]
    public void Buffer_RandomStreams_EqualsTopKDistinctAdmittedKeysSorted()
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(500)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20251121UL, 7UL), FSharpOption<int>.None)));
        Check.One(config, Prop.ForAll(Scenarios().ToArbitrary(), s => Disagreement(s) is null));
    }

    [TestMethod]
    public void Disagreement_BrokenExpectation_IsDetected()
    {
        // Guard against a property that cannot fail: a scenario whose key repeats with a lower loss must show Step updates.
        var s = new Scenario(1, 0, [[(0, 5f)], [(0, 1f)]], [false, false]);
        Assert.IsNull(Disagreement(s));
        var tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = 1, HighLossQuantile = 0 });
        tracker.UpdateLosses(0, [5f]);
        tracker.AddExamples(0, HardExampleTestData.Batch(1, 0), [5f], ["k0"]);
        tracker.UpdateLosses(1, [1f]);
        tracker.AddExamples(1, HardExampleTestData.Batch(1, 0), [1f], ["k0"]);
        Assert.AreEqual(1L, tracker.Entries[0].Step);
        Assert.AreEqual(5.0, tracker.Entries[0].Loss);
    }
}
