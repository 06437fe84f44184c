// NCCL on one GPU (TestCategory "GPU", skipped without CUDA): a real NCCL group of one rank (TCP store on 127.0.0.1,
// ProcessGroupNCCL on cuda:0) runs every collective the trainer uses, and a trainer run inside that group equals the
// run without a group. This is what a one-GPU machine can check of the multi-GPU path (issue 16); two ranks over NCCL
// run in scripts/gpu/multi-gpu.sh on a machine with 2+ GPUs.
using System.Net;
using System.Net.Sockets;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Torch;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;

namespace MaskedSft.MLNet.Tests.Distributed;

[TestClass]
[DoNotParallelize]
[TestCategory("GPU")]
[RequiresCuda]
public sealed class ProcessGroupNcclTests : TrainingTestClass<ProcessGroupNcclTests>
{
    [TestMethod]
    public void WorldOfOne_Collectives_OnCuda()
    {
        RequireNccl();
        using var scope = new DisposeScope();
        using var group = ProcessGroup.Create(NcclWorldOfOne());
        Assert.IsFalse(group.IsLocal, "a master address makes a real NCCL group");
        Assert.AreEqual(DistributedBackend.Nccl, group.Backend);
        Assert.AreEqual(Device.Cuda(0), group.Device);

        var x = Tensor.FromArray(new float[] { 1, -2, 3 }, 3).To(group.Device);
        var list = new[] { Tensor.FromArray(new float[] { 4, 5 }, 2).To(group.Device), TorchOps.Ones([2, 3]).To(group.Device) };
        group.AllReduce(x, ReduceOp.Average);
        group.AllReduce(list, ReduceOp.Sum, bucketBytes: 8);
        group.Broadcast(x);
        group.Barrier();
        var gathered = group.AllGather(x);
        var bytes = group.AllGatherBytes([7, 8, 9]);

        CollectionAssert.AreEqual(new float[] { 1, -2, 3 }, x.To(Device.Cpu).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 4, 5 }, list[0].To(Device.Cpu).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 1, 1, 1, 1, 1, 1 }, list[1].To(Device.Cpu).Reshape(6).ToArray<float>());
        Assert.AreEqual(1, gathered.Length);
        CollectionAssert.AreEqual(new float[] { 1, -2, 3 }, gathered[0].To(Device.Cpu).ToArray<float>());
        Assert.AreEqual(1, bytes.Length);
        CollectionAssert.AreEqual(new byte[] { 7, 8, 9 }, bytes[0]);
    }

    [TestMethod]
    public void WorldOfOne_CpuTensor_IsAClearError()
    {
        RequireNccl();
        using var scope = new DisposeScope();
        using var group = ProcessGroup.Create(NcclWorldOfOne());
        var cpu = Tensor.FromArray(new float[] { 1 }, 1);
        var error = Assert.ThrowsExactly<DistributedException>(() => group.AllReduce(cpu));
        StringAssert.Contains(error.Message, "the nccl backend takes tensors on cuda:0");
    }

    [TestMethod]
    public void Trainer_InANcclGroupOfOne_EqualsTheRunWithoutAGroup()
    {
        RequireNccl();
        var alone = Run(group: null);
        using var nccl = ProcessGroup.Create(NcclWorldOfOne());
        var grouped = Run(nccl);

        Assert.AreEqual(alone.Count, grouped.Count);
        for (var i = 0; i < alone.Count; i++)
        {
            Assert.AreEqual(alone[i].Loss, grouped[i].Loss, 1e-6 * Math.Abs(alone[i].Loss), $"loss of step {alone[i].Step}");
            Assert.AreEqual(alone[i].GradNorm, grouped[i].GradNorm, 1e-5 * alone[i].GradNorm, $"grad norm of step {alone[i].Step}");
            Assert.AreEqual(alone[i].SupervisedTokens, grouped[i].SupervisedTokens);
        }
    }

    private static IReadOnlyList<StepMetrics> Run(ProcessGroup? group)
    {
        var options = new TrainerOptions
        {
            MaxSteps = 3, BatchSize = 4, GradientAccumulationSteps = 1, WarmupSteps = 1, LearningRate = 3e-3, LogInterval = 1,
            EvalInterval = 0, CheckpointInterval = 0, Seed = 5, Device = Device.Cuda(0), ProcessGroup = group,
            HardExamples = new HardExampleTrackerOptions { Capacity = 4, LogInterval = 1, HighLossQuantile = 0.5 },
            HardExampleDecoder = Fixture.Corpus,
        };
        using var model = new TinyGpt(Fixture.Config(), seed: 1);
        using var trainer = new Trainer(model, Fixture.Dataset, options);
        return trainer.Run().Metrics;
    }

    private static void RequireNccl()
    {
        if (!ProcessGroup.IsBackendAvailable(DistributedBackend.Nccl))
        {
            Assert.Inconclusive("the native library was built without the NCCL backend (CUDA libtorch with nccl.h needed)");
        }
    }

    private static ProcessGroupOptions NcclWorldOfOne() => new()
    {
        Backend = DistributedBackend.Nccl, MasterAddress = "127.0.0.1", MasterPort = FreePort(), Rank = 0, WorldSize = 1,
        LocalRank = 0, Timeout = TimeSpan.FromSeconds(60),
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
