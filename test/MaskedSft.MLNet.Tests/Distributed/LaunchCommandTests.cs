// `maskedsft launch`: torchrun's environment, [rank N] prefixes, the first failure stops the others and is the exit code.
using MaskedSft.Cli.Launch;

namespace MaskedSft.MLNet.Tests.Distributed;

[TestClass]
[DoNotParallelize]
public sealed class LaunchCommandTests
{
    [TestMethod]
    public void EnvironmentOf_SecondNode_TorchrunVariablesAndMulticastOff()
    {
        var plan = LaunchPlan.Create(processesPerNode: 2, nodes: 2, nodeRank: 1, masterAddress: "10.0.0.5", masterPort: 29400);
        var env = plan.EnvironmentOf(1);
        Assert.AreEqual("10.0.0.5", env["MASTER_ADDR"]);
        Assert.AreEqual("29400", env["MASTER_PORT"]);
        Assert.AreEqual("3", env["RANK"]);
        Assert.AreEqual("1", env["LOCAL_RANK"]);
        Assert.AreEqual("4", env["WORLD_SIZE"]);
        Assert.AreEqual("2", env["LOCAL_WORLD_SIZE"]);
        Assert.AreEqual("1", env["GROUP_RANK"]);
        Assert.AreEqual("0", env["NCCL_NVLS_ENABLE"]);
        Assert.AreEqual("1", env["TORCH_SYMM_MEM_DISABLE_MULTICAST"]);
        Assert.AreEqual("1", env["NVSHMEM_DISABLE_NVLS"]);
    }

    [TestMethod]
    public void Create_SeveralNodesWithoutPort_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => LaunchPlan.Create(2, nodes: 2, nodeRank: 0, masterAddress: "10.0.0.5", masterPort: 0));
        StringAssert.Contains(e.Message, "--master-port");
        Assert.ThrowsExactly<ArgumentException>(() => LaunchPlan.Create(2, nodes: 2, nodeRank: 2, masterAddress: "10.0.0.5", masterPort: 1));
    }

    [TestMethod]
    public void Launch_TwoRanks_PrefixesEveryLineWithItsRank()
    {
        var (exit, output, error) = CliRunner.Run(["launch", "--nproc-per-node", "2", "--", .. WorkerRanks.Command("echo")]);
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "[rank 0] hello from rank 0 of 2");
        StringAssert.Contains(output, "[rank 1] hello from rank 1 of 2");
        StringAssert.Contains(error, "[rank 0] note from rank 0");
        StringAssert.Contains(error, "[rank 1] note from rank 1");
        Assert.IsFalse(output.Split('\n').Any(l => l.Length > 0 && !l.StartsWith("[rank ", StringComparison.Ordinal)), output);
    }

    [TestMethod]
    public void Launch_OneRankFails_StopsTheOthersAndReturnsItsCode()
    {
        var ready = Directory.CreateTempSubdirectory("msft-launch-ready-");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (exit, output, error) = CliRunner.Run(["launch", "--nproc-per-node", "2", "--", .. WorkerRanks.Command("echo", "--failing-rank", "1", "--exit-code", "5", "--others-sleep", "120", "--ready-dir", ready.FullName)]);
        ready.Delete(recursive: true);
        Assert.AreEqual(5, exit, error);
        StringAssert.Contains(error, "[launch] error: rank 1 (pid ");
        StringAssert.Contains(error, "failed with exit code 5");
        StringAssert.Contains(error, "stopping the other 1 rank(s)");
        StringAssert.Contains(output, "[rank 0] hello from rank 0 of 2");
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(60), $"rank 0 (sleeping 120 s) was not stopped: the launch took {watch.Elapsed}");
    }

    [TestMethod]
    public void Launch_ZeroProcesses_ExitsWithUsageError()
    {
        var (exit, _, error) = CliRunner.Run(["launch", "--nproc-per-node", "0", "--", "true"]);
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "--nproc-per-node must be at least 1");
    }

    [TestMethod]
    public void Launch_MissingProgram_ReportsIt()
    {
        var (exit, _, error) = CliRunner.Run(["launch", "--nproc-per-node", "1", "--", "/nonexistent/program"]);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(error, "could not start `/nonexistent/program` for rank 0");
    }
}
