// Quantiles of the interval statistics: exact against numpy's np.quantile, P2 estimate close to exact on long streams.
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class IntervalLossStatisticsTests
{
    [TestMethod]
    public void ExactQuantile_MatchesNumpyReference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(HardExampleTestData.FixturePath("quantiles.json")));
        int checkedCount = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var values = c.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            var qs = c.GetProperty("quantiles").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var expected = c.GetProperty("expected").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < qs.Length; i++)
            {
                var stats = new IntervalLossStatistics(qs[i], 100_000);
                // Feed in uneven batches to exercise the sorted merge.
                for (int start = 0; start < values.Length; start += 7 + (start % 13))
                {
                    stats.Add(values.AsSpan(start, Math.Min(7 + (start % 13), values.Length - start)));
                }

                Assert.AreEqual(expected[i], stats.Quantile, 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"n={values.Length} q={qs[i]}");
                Assert.AreEqual(values.Max(), stats.Max);
                Assert.IsTrue(stats.IsExact);
                checkedCount++;
            }
        }

        Assert.AreEqual(42, checkedCount);
    }

    [TestMethod]
    [DataRow(0.5)]
    [DataRow(0.9)]
    [DataRow(0.99)]
    public void P2Estimate_LongStream_CloseToExactQuantile(double q)
    {
        var rng = new Random(11);
        var stats = new IntervalLossStatistics(q, 2048);
        var all = new List<float>();
        var batch = new float[256];
        for (int step = 0; step < 400; step++)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = (float)(rng.NextDouble() < 0.12 ? 3 + (7 * rng.NextDouble()) : 0.5 + (1.5 * rng.NextDouble()));
            }

            stats.Add(batch);
            all.AddRange(batch);
        }

        Assert.IsFalse(stats.IsExact);
        Assert.AreEqual(102_400L, stats.Count);
        all.Sort();
        double exact = IntervalLossStatistics.ExactQuantile(all.ToArray(), q);
        // Relative error in rank: the estimate's empirical CDF position is within 1% of q.
        int below = all.Count(v => v <= stats.Quantile);
        Assert.AreEqual(q, below / (double)all.Count, 0.01, $"estimate {stats.Quantile}, exact {exact}");
    }

    [TestMethod]
    public void Add_NonFinite_CountedApart()
    {
        var stats = new IntervalLossStatistics(0.5, 100);
        stats.Add([float.NaN, float.NegativeInfinity]);
        Assert.AreEqual(0L, stats.Count);
        Assert.AreEqual(2L, stats.NonFiniteCount);
        Assert.IsTrue(double.IsNaN(stats.Quantile));
        Assert.IsTrue(double.IsNaN(stats.Max));
    }
}
