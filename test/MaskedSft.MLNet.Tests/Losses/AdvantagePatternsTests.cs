// Tests of the advantage-pattern helpers and the loss normalizer's counting.
using MaskedSft.MLNet.Losses;

namespace MaskedSft.MLNet.Tests.Losses;

[TestClass]
public sealed class AdvantagePatternsTests
{
    private static readonly float[] Mask = [0, 0, 1, 1, 0, 1, 1, 1, 1, 1];

    [TestMethod]
    public void Fill_EachPattern_ZeroOutsideMaskAndExpectedShape()
    {
        var d = new float[Mask.Length];
        AdvantagePatterns.Fill(AdvantagePattern.UniformPositive, Mask, d);
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, 1, 0, 1, 1, 1, 1, 1 }, d);
        AdvantagePatterns.Fill(AdvantagePattern.Increasing, Mask, d);
        CollectionAssert.AreEqual(new float[] { 0, 0, 1 / 7f, 2 / 7f, 0, 3 / 7f, 4 / 7f, 5 / 7f, 6 / 7f, 1f }, d);
        AdvantagePatterns.Fill(AdvantagePattern.Alternating, Mask, d);
        CollectionAssert.AreEqual(new float[] { 0, 0, 1, -1, 0, 1, -1, 1, -1, 1 }, d);
        AdvantagePatterns.Fill(AdvantagePattern.EndWeighted, Mask, d);
        CollectionAssert.AreEqual(new float[] { 0, 0, 0.25f, 0.25f, 0, 0.25f, 0.25f, 0.25f, 1, 1 }, d);
    }

    [TestMethod]
    public void Fill_SparsePositive_SeededAtLeastOneAndBinary()
    {
        var a = new float[Mask.Length];
        var b = new float[Mask.Length];
        AdvantagePatterns.Fill(AdvantagePattern.SparsePositive, Mask, a, seed: 5);
        AdvantagePatterns.Fill(AdvantagePattern.SparsePositive, Mask, b, seed: 5);
        CollectionAssert.AreEqual(a, b);
        Assert.IsTrue(a.Count(v => v == 1f) >= 1);
        Assert.IsTrue(a.All(v => v is 0f or 1f));
        for (var i = 0; i < Mask.Length; i++) if (Mask[i] == 0) Assert.AreEqual(0f, a[i]);
    }

    [TestMethod]
    public void Fill_LengthMismatch_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => AdvantagePatterns.Fill(AdvantagePattern.Increasing, Mask, new float[3]));
    }

    [TestMethod]
    public void LossNormalizer_FromMask_CountsTokensAndNonEmptySequences()
    {
        float[] mask = [1, 0, 1, 0, 0, 0, 0, 1, 1];
        var n = LossNormalizer.FromMask(mask, rows: 3, normLength: 8);
        Assert.AreEqual(new LossNormalizer(4, 2, 8), n);
        Assert.AreEqual(new LossNormalizer(8, 4, 8), n + n);
    }
}
