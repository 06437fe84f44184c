// The server's batching rules: exact batches of whole groups from a mixed queue, packs of the largest group size, and
// buffered groups that sum to an environment's group size.
using MaskedSft.Atropos.Server;
using MaskedSft.MLNet.Rl.Atropos;

namespace MaskedSft.MLNet.Tests.Rl.Atropos;

[TestClass]
public sealed class QueueBatchingTests
{
    private static AtroposScoredData Group(int size, int tag) => new()
    {
        Tokens = Enumerable.Range(0, size).Select(_ => new[] { tag, tag }).ToArray(),
        Masks = Enumerable.Range(0, size).Select(_ => new[] { -100, tag }).ToArray(),
        Scores = new double[size],
    };

    private static int Tag(AtroposScoredData g) => g.Tokens[0][0];

    [TestMethod]
    public void TakeExact_PacksSmallGroupsToTheLargestSizeAndKeepsTheRestInOrder()
    {
        var queue = new List<AtroposScoredData> { Group(4, 1), Group(2, 2), Group(4, 3), Group(2, 4), Group(2, 5) };
        var batch = QueueBatching.TakeExact(queue, 8);
        Assert.IsNotNull(batch);
        // packable in queue order: 1 (a pack of 4), 3 (at index 2), then 2+4 complete a pack of 2s at index 3
        CollectionAssert.AreEqual(new[] { 1, 3 }, batch.Select(Tag).ToArray());
        CollectionAssert.AreEqual(new[] { 2, 4, 5 }, queue.Select(Tag).ToArray());
        var second = QueueBatching.TakeExact(queue, 4);
        CollectionAssert.AreEqual(new[] { 2, 4 }, second!.Select(Tag).ToArray());
        Assert.IsNull(QueueBatching.TakeExact(queue, 4), "a lone group of 2 cannot make 4");
        Assert.HasCount(1, queue, "a failed take leaves the queue unchanged");
    }

    [TestMethod]
    public void TakeExact_NotEnoughSequences_Null()
    {
        var queue = new List<AtroposScoredData> { Group(4, 1) };
        Assert.IsNull(QueueBatching.TakeExact(queue, 8));
        Assert.IsNull(QueueBatching.TakeExact([], 1));
        Assert.HasCount(1, queue);
    }

    [TestMethod]
    public void FindGroupsSummingTo_FifoFirstThenAnySubset()
    {
        CollectionAssert.AreEqual(new[] { 0, 1 }, QueueBatching.FindGroupsSummingTo([2, 2, 4], 4).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 2 }, QueueBatching.FindGroupsSummingTo([1, 3, 2, 5], 3).ToArray(), "FIFO takes 1, skips 3 (over), takes 2");
        CollectionAssert.AreEqual(new[] { 1, 2 }, QueueBatching.FindGroupsSummingTo([3, 2, 2], 4).ToArray(), "FIFO fails (3, then nothing fits 1): the subset 2+2");
        Assert.IsEmpty(QueueBatching.FindGroupsSummingTo([3, 3], 4));
    }
}
