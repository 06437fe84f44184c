// BatchTensors.From: shapes, dtypes, exact values on the CPU, partial batches, and (GPU category) the same on CUDA.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class BatchTensorsTests
{
    private static EpisodeBatch RlBatch(TempDirectory temp, int rows = 3, bool dropLast = true)
    {
        var path = EpisodeFixtures.Write(temp.Combine("rl"), EpisodeFixtures.Random(7, 2, 20, seed: 51, advantages: true), advantages: true);
        using var dataset = EpisodeDataset.Open(path); // the filled batch owns its buffers; the mapping can go
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = rows, BlockSize = 8, DropLast = dropLast });
        return loader.NextBatch();
    }

    [TestMethod]
    public void From_Cpu_FourTensorsWithTheBatchValuesAndDtypes()
    {
        using var temp = new TempDirectory();
        var batch = RlBatch(temp);
        var live = TensorCounters.SettledLive();

        using (var scope = new DisposeScope())
        {
            var t = BatchTensors.From(batch, Device.Cpu);
            Assert.AreEqual(4, t.Count);
            Assert.AreEqual(ScalarType.Int64, t.Inputs.DType);
            Assert.AreEqual(ScalarType.Int64, t.Targets.DType);
            Assert.AreEqual(ScalarType.Float32, t.LossMask!.DType);
            Assert.AreEqual(ScalarType.Float32, t.Advantages!.DType);
            Assert.AreEqual(Device.Cpu, t.Inputs.Device);
            CollectionAssert.AreEqual(batch.Inputs.ToArray(), t.Inputs.ToArray<long>());
            CollectionAssert.AreEqual(batch.Targets.ToArray(), t.Targets.ToArray<long>());
            CollectionAssert.AreEqual(batch.LossMask.ToArray(), t.LossMask.ToArray<float>());
            CollectionAssert.AreEqual(batch.Advantages.ToArray(), t.Advantages.ToArray<float>());
            var (_, _, mask) = t;
            Assert.AreSame(t.LossMask, mask);
        }

        Assert.AreEqual(live, TensorCounters.Live, "the scope frees the batch tensors");
    }

    [TestMethod]
    public void From_PartialLastBatch_ShapeHasTheFilledRows()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("val"), EpisodeFixtures.Random(5, 2, 9, seed: 52).Select(e => e with { Metadata = new EpisodeMetadata { Split = DatasetSplit.Validation } }));
        using var dataset = EpisodeDataset.Open(path);
        var last = EpisodeDataLoader.CreateValidation(dataset, new EpisodeLoaderOptions { BatchSize = 4, BlockSize = 8 }).EnumerateEpoch().Last();

        using var t = BatchTensors.From(last, Device.Cpu);

        CollectionAssert.AreEqual(new long[] { 1, 8 }, t.Inputs.Shape);
        CollectionAssert.AreEqual(new long[] { 1, 8 }, t.LossMask!.Shape);
    }

    [TestMethod]
    public void From_EmptyBatch_ThrowsWithHint()
    {
        var batch = new EpisodeBatch(2, 4, hasLossMask: true, hasAdvantages: false);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BatchTensors.From(batch, Device.Cpu));

        StringAssert.Contains(e.Message, "NextBatch");
    }

    [TestMethod]
    [TestCategory("GPU")]
    public void From_Cuda_SameValuesOnTheGpu()
    {
        if (!Device.IsCudaAvailable)
        {
            Assert.Inconclusive("no CUDA device: GPU test skipped");
        }

        using var temp = new TempDirectory();
        var batch = RlBatch(temp);
        using var scope = new DisposeScope();

        var t = BatchTensors.From(batch, Device.Cuda(0));

        Assert.AreEqual(Device.Cuda(0), t.Inputs.Device);
        Assert.AreEqual(Device.Cuda(0), t.Advantages!.Device);
        CollectionAssert.AreEqual(batch.Inputs.ToArray(), t.Inputs.Cpu().ToArray<long>());
        CollectionAssert.AreEqual(batch.Targets.ToArray(), t.Targets.Cpu().ToArray<long>());
        CollectionAssert.AreEqual(batch.LossMask.ToArray(), t.LossMask!.Cpu().ToArray<float>());
        CollectionAssert.AreEqual(batch.Advantages.ToArray(), t.Advantages.Cpu().ToArray<float>());
    }
}
