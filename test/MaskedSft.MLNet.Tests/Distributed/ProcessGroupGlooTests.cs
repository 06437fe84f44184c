// Two processes over Gloo on 127.0.0.1: every collective against the values computed here, and a rank that dies or
// hangs making the other fail with a clear error instead of hanging.
using System.Text;
using System.Text.Json;
using MaskedSft.Distributed.Worker;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Distributed;

[TestClass]
[DoNotParallelize]
public sealed class ProcessGroupGlooTests
{
    private const int World = 2;

    private static JsonElement[] _results = [];

    [ClassInitialize]
    public static void RunCollectives(TestContext context)
    {
        if (!GlooBackend.IsAvailable) return; // every test below reports why it is inconclusive
        var dir = Directory.CreateTempSubdirectory("msft-dist-");
        try
        {
            var outcomes = WorkerRanks.Run(World, ["collectives", "--out", dir.FullName]);
            foreach (var o in outcomes)
            {
                Assert.AreEqual(0, o.ExitCode, $"rank {o.Rank} failed:\n{o.Output}\n{o.Error}");
            }

            _results = [.. Enumerable.Range(0, World).Select(r => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, $"rank{r}.json"))).RootElement.Clone())];
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [TestMethod]
    public void AllReduce_Sum_EqualsTheSumOfTheRanksTensors()
    {
        GlooBackend.Require();
        var expected = Combine(CollectiveInputs.Dense, (a, b) => a + b);
        foreach (var result in _results)
        {
            AssertClose(expected, Floats(result.GetProperty("sum")), 1e-6);
        }
    }

    [TestMethod]
    public void AllReduce_AverageAndMax_MatchLocalComputation()
    {
        GlooBackend.Require();
        var average = Combine(CollectiveInputs.Dense, (a, b) => a + b).Select(v => v / World).ToArray();
        var max = Combine(CollectiveInputs.Dense, Math.Max);
        foreach (var result in _results)
        {
            AssertClose(average, Floats(result.GetProperty("average")), 1e-6);
            AssertClose(max, Floats(result.GetProperty("max")), 0);
        }
    }

    [TestMethod]
    public void AllReduce_Int64Min_IsExact()
    {
        GlooBackend.Require();
        foreach (var result in _results)
        {
            CollectionAssert.AreEqual(new long[] { 0, 10 - (World - 1) }, result.GetProperty("min_longs").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        }
    }

    [TestMethod]
    public void AllReduce_BucketedListWithANonContiguousTensor_EqualsPerTensorSums()
    {
        GlooBackend.Require();
        using var scope = new DisposeScope();
        var perRank = Enumerable.Range(0, World).Select(CollectiveInputs.BucketList).ToArray();
        foreach (var result in _results)
        {
            var bucketed = result.GetProperty("bucketed").EnumerateArray().Select(Floats).ToArray();
            Assert.AreEqual(3, bucketed.Length);
            for (var i = 0; i < bucketed.Length; i++)
            {
                var expected = perRank.Select(list => list[i].Contiguous().ToArray<float>()).Aggregate((a, b) => [.. a.Zip(b, (x, y) => x + y)]);
                AssertClose(expected, bucketed[i], 1e-6);
            }

            Assert.IsTrue(result.GetProperty("bucketed_transposed_is_view").GetBoolean(), "the transposed tensor kept its shape");
        }
    }

    [TestMethod]
    public void Broadcast_FromTheLastRank_EveryRankHoldsItsValues()
    {
        GlooBackend.Require();
        foreach (var result in _results)
        {
            AssertClose([World, World, World, World], Floats(result.GetProperty("broadcast")), 0);
        }
    }

    [TestMethod]
    public void AllGather_Tensors_InRankOrder()
    {
        GlooBackend.Require();
        using var scope = new DisposeScope();
        foreach (var result in _results)
        {
            var gathered = result.GetProperty("gathered").EnumerateArray().Select(Floats).ToArray();
            Assert.AreEqual(World, gathered.Length);
            for (var r = 0; r < World; r++)
            {
                AssertClose(CollectiveInputs.GatherSource(r).ToArray<float>(), gathered[r], 0);
            }
        }
    }

    [TestMethod]
    public void AllGatherBytes_VariableLengthsAndAnEmptyPayload_InRankOrder()
    {
        GlooBackend.Require();
        foreach (var result in _results)
        {
            var payloads = result.GetProperty("payloads").EnumerateArray().Select(e => Convert.FromBase64String(e.GetString()!)).ToArray();
            Assert.AreEqual(World, payloads.Length);
            Assert.AreEqual(0, payloads[0].Length);
            for (var r = 0; r < World; r++)
            {
                CollectionAssert.AreEqual(CollectiveInputs.Payload(r), payloads[r], $"payload of rank {r}: {Encoding.UTF8.GetString(payloads[r])[..Math.Min(20, payloads[r].Length)]}");
            }
        }
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    public void AllReduce_PeerKilled_OtherRankFailsAtOnceNamingItself(int victim)
    {
        GlooBackend.Require();
        var outcomes = WorkerRanks.Run(World, ["fail", "--victim", $"{victim}", "--mode", "kill", "--timeout-seconds", "60"]);
        var survivor = outcomes.Single(o => o.Rank != victim);
        Assert.AreEqual(137, outcomes[victim].ExitCode, "the victim ends by SIGKILL");
        Assert.AreEqual(3, survivor.ExitCode, $"the survivor must fail with a DistributedException:\n{survivor.Output}\n{survivor.Error}");
        StringAssert.Contains(survivor.Error, $"rank {survivor.Rank} of 2 (gloo): all_reduce(");
        StringAssert.Contains(survivor.Error, "another rank's process ended");
        StringAssert.Contains(survivor.Error, "timed_out=False", "a closed connection is reported at once, not after the 60 s timeout");
    }

    [TestMethod]
    public void AllReduce_PeerHangs_OtherRankTimesOutAfterTheTimeout()
    {
        GlooBackend.Require();
        var outcomes = WorkerRanks.Run(World, ["fail", "--victim", "1", "--mode", "hang", "--timeout-seconds", "3"], killAfter: TimeSpan.FromSeconds(40));
        var survivor = outcomes[0];
        Assert.AreEqual(3, survivor.ExitCode, $"rank 0 must fail with a DistributedException:\n{survivor.Output}\n{survivor.Error}");
        StringAssert.Contains(survivor.Error, "rank 0 of 2 (gloo): all_reduce(");
        StringAssert.Contains(survivor.Error, "(timeout 3 s)");
        StringAssert.Contains(survivor.Error, "did not take part within the timeout");
        StringAssert.Contains(survivor.Error, "timed_out=True");
    }

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];

    private static float[] Combine(Func<int, Tensor> input, Func<float, float, float> op)
    {
        using var scope = new DisposeScope();
        return Enumerable.Range(0, World).Select(r => input(r).ToArray<float>()).Aggregate((a, b) => [.. a.Zip(b, op)]);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.AreEqual(expected.Length, actual.Length, "length");
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], tolerance, $"element {i}");
        }
    }
}
