// EpisodeBatch filled by hand (a data source other than the loader): counts, row metadata, overwrites and argument checks.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeBatchTests
{
    [TestMethod]
    public void SetRow_AfterReset_HoldsTheRowsAndKeepsTheCountsRightOnOverwrite()
    {
        var batch = new EpisodeBatch(batchSize: 4, blockSize: 3, hasLossMask: true, hasAdvantages: true);
        batch.Reset(rows: 2, epoch: 5, batchIndex: 7);
        batch.SetRow(0, [1, 2, 3], [2, 3, -100], [1, 0, 0], [0.5f, 0, 0], realTargets: 2, episodeIndex: 11, episodeKey: 99, windowStart: 4);
        batch.SetRow(1, [4, 5, 6], [5, 6, 7], [1, 1, 1], [1, 1, 1], realTargets: 3);

        Assert.AreEqual((2, 5L, 7L), (batch.Rows, batch.Epoch, batch.BatchIndex));
        Assert.AreEqual((5L, 4L), (batch.TargetCount, batch.SupervisedTargetCount));
        CollectionAssert.AreEqual(new long[] { 2, 3, -100 }, batch.TargetRow(0).ToArray());
        CollectionAssert.AreEqual(new[] { 0.5f, 0, 0 }, batch.AdvantageRow(0).ToArray());
        Assert.AreEqual((11, 99UL, 4, 2), (batch.EpisodeIndices[0], batch.EpisodeKeys[0], batch.WindowStarts[0], batch.RowTargetCounts[0]));

        batch.SetRow(1, [4, 5, 6], [5, -100, -100], [0, 0, 0], [0, 0, 0], realTargets: 1);
        Assert.AreEqual((3L, 1L), (batch.TargetCount, batch.SupervisedTargetCount), "an overwritten row replaces its counts");
        batch.Reset(rows: 1);
        Assert.AreEqual((1, 0L, 0L), (batch.Rows, batch.TargetCount, batch.SupervisedTargetCount));
    }

    [TestMethod]
    public void SetRow_BadShapesOrRows_ThrowNamingTheArgument()
    {
        var batch = new EpisodeBatch(batchSize: 2, blockSize: 3, hasLossMask: false, hasAdvantages: false);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batch.Reset(rows: 3));
        batch.Reset(rows: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batch.SetRow(1, [1, 2, 3], [1, 2, 3], [], [], 3), "row outside Rows");
        var e = Assert.ThrowsExactly<ArgumentException>(() => batch.SetRow(0, [1, 2], [1, 2, 3], [], [], 3));
        Assert.AreEqual("inputs", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentException>(() => batch.SetRow(0, [1, 2, 3], [1, 2, 3], [1, 1, 1], [], 3));
        StringAssert.Contains(e.Message, "does not carry it");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => batch.SetRow(0, [1, 2, 3], [1, 2, 3], [], [], 4));
        batch.SetRow(0, [1, 2, 3], [1, 2, 3], [], [], 3);
        Assert.AreEqual(3L, batch.SupervisedTargetCount, "without a loss mask every real target is supervised");
    }
}
