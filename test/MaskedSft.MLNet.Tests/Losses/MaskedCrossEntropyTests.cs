// Masked cross-entropy against the PyTorch reference (Fixtures/Losses/masked_ce.json) and its edge cases.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Losses;

[TestClass]
[DoNotParallelize]
public sealed class MaskedCrossEntropyTests
{
    [TestMethod]
    public void Compute_ReferenceCases_MatchPyTorchWithin1e5()
    {
        using var doc = FixtureFile.Open("Losses", "masked_ce.json");
        var count = 0;
        foreach (var c in FixtureFile.Cases(doc))
        {
            using var scope = new DisposeScope();
            long b = c.GetProperty("B").GetInt64(), t = c.GetProperty("T").GetInt64(), v = c.GetProperty("V").GetInt64();
            var name = c.GetProperty("name").GetString()!;
            var logits = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("logits")), b, t, v).WithRequiresGrad();
            var targets = Tensor.FromArray(FixtureFile.Longs(c.GetProperty("targets")), b, t);
            var mask = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("mask")), b, t);
            var loss = MaskedCrossEntropy.Compute(logits, targets, mask);
            loss.Backward();
            LossAssert.Close(c.GetProperty("loss").GetDouble(), loss.Item<float>(), 1e-5, $"{name} loss");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("grad_logits")), logits.Grad!.ToArray<float>(), 1e-5, $"{name} grad");
            count++;
        }

        Assert.AreEqual(3, count);
    }

    [TestMethod]
    public void Compute_AllZeroMask_ExactlyZeroLossAndGradients()
    {
        using var scope = new DisposeScope();
        var logits = TorchOps.Randn([2, 5, 11], Generator.Create(3)).Mul(30.0).Detach().WithRequiresGrad();
        var targets = TorchOps.RandInt(0, 11, [2, 5], Generator.Create(4));
        var loss = MaskedCrossEntropy.Compute(logits, targets, TorchOps.Zeros([2, 5]));
        loss.Backward();
        Assert.AreEqual(0f, loss.Item<float>());
        Assert.IsTrue(logits.Grad!.ToArray<float>().All(g => g == 0f), "every gradient must be exactly zero");
    }

    [TestMethod]
    public void Compute_MaskedPositionsWithIgnoreOrOutOfRangeTargets_ContributeNothing()
    {
        using var scope = new DisposeScope();
        var logits = TorchOps.Randn([1, 4, 7], Generator.Create(5));
        var mask = Tensor.FromArray(new float[] { 0, 1, 0, 1 }, 1, 4);
        var clean = Tensor.FromArray(new long[] { 2, 3, 4, 5 }, 1, 4);
        var dirty = Tensor.FromArray(new long[] { -100, 3, 999, 5 }, 1, 4); // masked targets: ignore index and out of range
        Assert.AreEqual(MaskedCrossEntropy.Compute(logits, clean, mask).Item<float>(), MaskedCrossEntropy.Compute(logits, dirty, mask).Item<float>());
    }

    [TestMethod]
    public void Compute_IgnoreIndexUnderMaskOne_IsNotTrained()
    {
        using var scope = new DisposeScope();
        var logits = TorchOps.Randn([1, 3, 5], Generator.Create(6));
        var ones = TorchOps.Ones([1, 3]);
        var withIgnore = MaskedCrossEntropy.Compute(logits, Tensor.FromArray(new long[] { 1, -100, 2 }, 1, 3), ones).Item<float>();
        var onlyTwo = MaskedCrossEntropy.Compute(logits, Tensor.FromArray(new long[] { 1, 0, 2 }, 1, 3), Tensor.FromArray(new float[] { 1, 0, 1 }, 1, 3)).Item<float>();
        Assert.AreEqual(onlyTwo, withIgnore);
    }

    [TestMethod]
    public void Compute_ShapeMismatch_ThrowsNamingShapes()
    {
        using var scope = new DisposeScope();
        var e = Assert.ThrowsExactly<ArgumentException>(() => MaskedCrossEntropy.Compute(TorchOps.Zeros([2, 3, 4]), TorchOps.Zeros([2, 4], ScalarType.Int64), TorchOps.Zeros([2, 4])));
        StringAssert.Contains(e.Message, "[2, 3, 4]");
    }
}
