// A world of one (no launcher, no sockets), the launcher environment, argument checks and a rendezvous that times out.
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Tests.Distributed;

[TestClass]
[DoNotParallelize]
public sealed class ProcessGroupLocalTests
{
    private static readonly string[] LauncherVariables =
    [
        TorchrunEnvironment.MasterAddress, TorchrunEnvironment.MasterPort, TorchrunEnvironment.Rank,
        TorchrunEnvironment.WorldSize, TorchrunEnvironment.LocalRank,
    ];

    [TestMethod]
    public void Create_WorldOfTwoWithoutTheBackend_SaysWhatTheBuildLacks()
    {
        if (GlooBackend.IsAvailable) Assert.Inconclusive("this native build has Gloo (the error only shows on builds without it)");
        var e = Assert.ThrowsExactly<DistributedException>(() => ProcessGroup.Create(new ProcessGroupOptions
        {
            MasterAddress = "127.0.0.1", MasterPort = 29999, Rank = 0, WorldSize = 2, Timeout = TimeSpan.FromSeconds(2),
        }));
        StringAssert.Contains(e.Message, "not compiled into this native library");
    }

    [TestMethod]
    public void FromEnvironment_NoLauncher_LocalWorldOfOne()
    {
        WithLauncherEnvironment([], () =>
        {
            using var group = ProcessGroup.FromEnvironment();
            Assert.IsTrue(group.IsLocal);
            Assert.AreEqual(0, group.Rank);
            Assert.AreEqual(1, group.WorldSize);
            Assert.IsTrue(group.IsMain);
            Assert.AreEqual(Device.Cpu, group.Device);
        });
    }

    [TestMethod]
    public void LocalWorld_Collectives_AreTheOneRankResults()
    {
        using var scope = new DisposeScope();
        using var group = ProcessGroup.Create(new ProcessGroupOptions());
        var x = Tensor.FromArray(new float[] { 1, -2, 3 }, 3);
        var list = new[] { Tensor.FromArray(new float[] { 4, 5 }, 2), TorchOps.Ones([2, 3]).Transpose(0, 1) };
        group.AllReduce(x, ReduceOp.Average);
        group.AllReduce(list, ReduceOp.Sum, bucketBytes: 8);
        group.Broadcast(x);
        group.Barrier();
        var gathered = group.AllGather(x);
        var bytes = group.AllGatherBytes([7, 8, 9]);

        CollectionAssert.AreEqual(new float[] { 1, -2, 3 }, x.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 4, 5 }, list[0].ToArray<float>());
        Assert.AreEqual(1, gathered.Length);
        CollectionAssert.AreEqual(new float[] { 1, -2, 3 }, gathered[0].ToArray<float>());
        Assert.AreEqual(1, bytes.Length);
        CollectionAssert.AreEqual(new byte[] { 7, 8, 9 }, bytes[0]);
    }

    [TestMethod]
    public void Create_BadArguments_Throw()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => ProcessGroup.Create(null!));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ProcessGroup.Create(new ProcessGroupOptions { WorldSize = 2 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ProcessGroup.Create(new ProcessGroupOptions { MasterAddress = "127.0.0.1", WorldSize = 2, Rank = 2 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ProcessGroup.Create(new ProcessGroupOptions { MasterAddress = "127.0.0.1", MasterPort = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ProcessGroup.Create(new ProcessGroupOptions { Timeout = TimeSpan.Zero }));
    }

    [TestMethod]
    public void Collectives_BadArguments_Throw()
    {
        using var scope = new DisposeScope();
        using var group = ProcessGroup.Create(new ProcessGroupOptions());
        var longs = Tensor.FromArray(new long[] { 1, 2 }, 2);
        var average = Assert.ThrowsExactly<ArgumentException>(() => group.AllReduce(longs, ReduceOp.Average));
        StringAssert.Contains(average.Message, "Int64");
        Assert.ThrowsExactly<ArgumentNullException>(() => group.AllReduce((Tensor)null!));
        Assert.ThrowsExactly<ArgumentNullException>(() => group.AllReduce(new Tensor[] { longs, null! }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => group.Broadcast(longs, root: 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => group.AllReduce([longs], ReduceOp.Sum, bucketBytes: -1));
        group.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => group.Barrier());
    }

    [TestMethod]
    public void ReadOptions_LauncherVariables_AreRead()
    {
        WithLauncherEnvironment(["10.1.2.3", "29501", "3", "4", "1"], () =>
        {
            var options = TorchrunEnvironment.ReadOptions(DistributedBackend.Nccl, TimeSpan.FromSeconds(7));
            Assert.AreEqual(new ProcessGroupOptions { Backend = DistributedBackend.Nccl, MasterAddress = "10.1.2.3", MasterPort = 29501, Rank = 3, WorldSize = 4, LocalRank = 1, Timeout = TimeSpan.FromSeconds(7) }, options);
        });
    }

    [TestMethod]
    public void ReadOptions_RankOutsideWorld_NamesTheVariable()
    {
        WithLauncherEnvironment(["127.0.0.1", "29501", "4", "4", "0"], () =>
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => TorchrunEnvironment.ReadOptions());
            StringAssert.Contains(e.Message, "RANK is '4'");
            StringAssert.Contains(e.Message, "[0, 3]");
        });
    }

    [TestMethod]
    public void ReadOptions_WorldWithoutMaster_SaysHowToLaunch()
    {
        WithLauncherEnvironment([null, null, "0", "2", null], () =>
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => TorchrunEnvironment.ReadOptions());
            StringAssert.Contains(e.Message, "MASTER_ADDR");
            StringAssert.Contains(e.Message, "maskedsft launch");
        });
    }

    [TestMethod]
    public void Create_PeerNeverStarts_RendezvousFailsWithinTheTimeout()
    {
        var port = Cli.Launch.LaunchPlan.Create(1, 1, 0, null, 0).MasterPort; // nobody listens there
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<DistributedException>(() => ProcessGroup.Create(new ProcessGroupOptions
        {
            MasterAddress = "127.0.0.1", MasterPort = port, Rank = 1, WorldSize = 2, Timeout = TimeSpan.FromSeconds(2),
        }));
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(30), $"the rendezvous took {watch.Elapsed}");
        StringAssert.Contains(e.Message, "rank 1 of 2 (gloo)");
        StringAssert.Contains(e.Message, $"rendezvous at 127.0.0.1:{port}");
        Assert.AreEqual(1, e.Rank);
    }

    private static void WithLauncherEnvironment(string?[] values, Action body)
    {
        var saved = LauncherVariables.Select(Environment.GetEnvironmentVariable).ToArray();
        try
        {
            for (var i = 0; i < LauncherVariables.Length; i++)
            {
                Environment.SetEnvironmentVariable(LauncherVariables[i], i < values.Length ? values[i] : null);
            }

            body();
        }
        finally
        {
            for (var i = 0; i < LauncherVariables.Length; i++)
            {
                Environment.SetEnvironmentVariable(LauncherVariables[i], saved[i]);
            }
        }
    }
}
