// The trainer's view of an episode batch for the tracker: keys, global indices, decoded supervised targets; the id decoder.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class EpisodeHardExampleBatchTests
{
    /// <summary>Two rows of T = 5: row 0 trains targets 1..2 (of 3 real ones), row 1 trains its last two targets of a window at 7.</summary>
    private static EpisodeBatch Batch()
    {
        var batch = new EpisodeBatch(batchSize: 3, blockSize: 5, hasLossMask: true, hasAdvantages: false);
        batch.Reset(rows: 2);
        long[] inputs = [1, 2, 3, 4, 5];
        batch.SetRow(0, inputs, [11, 12, 13, -100, -100], [0, 1, 1, 0, 0], [], realTargets: 3, episodeIndex: 4, episodeKey: 0xABCDEFUL, windowStart: 0);
        batch.SetRow(1, inputs, [21, 22, 23, 24, 25], [0, 0, 0, 1, 1], [], realTargets: 5, episodeIndex: 9, episodeKey: 0x1UL, windowStart: 7);
        Assert.AreEqual((8L, 4L), (batch.TargetCount, batch.SupervisedTargetCount));
        return batch;
    }

    [TestMethod]
    public void View_SelectedRows_GiveKeysIndicesAndSupervisedText()
    {
        var view = new EpisodeHardExampleBatch(Batch(), [1, 0], TokenIdDecoder.Instance, ignoreIndex: -100);
        Assert.AreEqual(2, view.Count);
        CollectionAssert.AreEqual(new[] { "0000000000000001@7", "0000000000abcdef@0" }, view.Keys());
        Assert.AreEqual(9, view.GetGlobalIndex(0));
        Assert.AreEqual(4, view.GetGlobalIndex(1));
        Assert.AreEqual("[ids 24 25]", view.GetText(0));
        Assert.AreEqual("[ids 12 13]", view.GetText(1));
        Assert.IsNull(view.GetThumbnailPng(0));
    }

    [TestMethod]
    public void View_WithoutLossMask_TextIsEveryRealTarget()
    {
        var view = new EpisodeHardExampleBatch(Batch(), [0], TokenIdDecoder.Instance, ignoreIndex: -100, useLossMask: false);
        Assert.AreEqual("[ids 11 12 13]", view.GetText(0));
    }

    [TestMethod]
    public void View_RowOutsideBatch_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EpisodeHardExampleBatch(Batch(), [2], TokenIdDecoder.Instance, -100));
        StringAssert.Contains(e.Message, "row 2 is outside the batch of 2 rows");
    }

    [TestMethod]
    public void TokenIdDecoder_EmptyAndSome()
    {
        Assert.AreEqual("[ids]", TokenIdDecoder.Instance.Decode([]));
        Assert.AreEqual("[ids 0 -1 50256]", TokenIdDecoder.Instance.Decode([0, -1, 50256]));
    }
}
