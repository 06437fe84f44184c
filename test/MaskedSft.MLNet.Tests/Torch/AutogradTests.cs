// Tests of autograd plumbing: backward, grad accumulation, zero_grad, detach, no-grad scopes, gradient clipping.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class AutogradTests
{
    [TestMethod]
    public void Backward_OfSumOfSquares_GivesTwiceTheInput()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 1, -2, 3 }).WithRequiresGrad();
        (x * x).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 2, -4, 6 }, x.Grad!.ToArray<double>());
    }

    [TestMethod]
    public void Backward_Twice_AccumulatesAndZeroGradClears()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 1, 2 }).WithRequiresGrad();
        (x * 3).Sum().Backward();
        (x * 3).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 6, 6 }, x.Grad!.ToArray<double>());
        x.ZeroGrad(setToNone: false);
        CollectionAssert.AreEqual(new double[] { 0, 0 }, x.Grad!.ToArray<double>());
        x.ZeroGrad();
        Assert.IsNull(x.Grad);
    }

    [TestMethod]
    public void Backward_WithExplicitGradient_WeightsTheOutputs()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 1, 2 }).WithRequiresGrad();
        var y = x * x;
        y.Backward(Tensor.FromArray(new double[] { 10, 100 }));
        CollectionAssert.AreEqual(new double[] { 20, 400 }, x.Grad!.ToArray<double>());
    }

    [TestMethod]
    public void Detach_StopsGradients()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 3 }).WithRequiresGrad();
        var y = x * x.Detach();
        y.Sum().Backward();
        Assert.AreEqual(3.0, x.Grad!.Item<double>());
        Assert.IsFalse(x.Detach().RequiresGrad);
        Assert.IsTrue(x.IsLeaf);
        Assert.IsFalse(y.IsLeaf);
    }

    [TestMethod]
    public void NoGradScope_DisablesRecordingAndRestores()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 1 }).WithRequiresGrad();
        using (new NoGradScope())
        {
            Assert.IsFalse(NoGradScope.IsGradEnabled);
            Assert.IsFalse((x * 2).RequiresGrad);
            using (new NoGradScope())
            {
                Assert.IsFalse(NoGradScope.IsGradEnabled);
            }

            Assert.IsFalse(NoGradScope.IsGradEnabled);
        }

        Assert.IsTrue(NoGradScope.IsGradEnabled);
        Assert.IsTrue((x * 2).RequiresGrad);
    }

    [TestMethod]
    public void RetainGrad_KeepsNonLeafGradient()
    {
        using var scope = new DisposeScope();
        var x = Tensor.FromArray(new double[] { 2 }).WithRequiresGrad();
        var y = x * 3;
        y.RetainGrad();
        (y * y).Sum().Backward();
        Assert.AreEqual(12.0, y.Grad!.Item<double>());
    }

    [TestMethod]
    public void ClipGradNorm_ScalesToMaxNormAndReturnsTotal()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new double[] { 3, 0 }).WithRequiresGrad();
        var b = Tensor.FromArray(new double[] { 4 }).WithRequiresGrad();
        var unused = Tensor.FromArray(new double[] { 1 }).WithRequiresGrad();
        ((a * a).Sum() / 2 + (b * b).Sum() / 2).Backward(); // grads = values: total norm 5
        var total = TorchOps.ClipGradNorm([a, b, unused], maxNorm: 1.0);
        Assert.AreEqual(5.0, total, 1e-12);
        var ga = a.Grad!.ToArray<double>();
        var gb = b.Grad!.ToArray<double>();
        Assert.AreEqual(1.0, Math.Sqrt((ga[0] * ga[0]) + (gb[0] * gb[0])), 1e-6);
        Assert.AreEqual(0.6, ga[0], 1e-6);
        Assert.IsNull(unused.Grad);
    }

    [TestMethod]
    public void ClipGradNorm_BelowMax_LeavesGradientsAlone()
    {
        using var scope = new DisposeScope();
        var a = Tensor.FromArray(new double[] { 0.3, 0.4 }).WithRequiresGrad();
        ((a * a).Sum() / 2).Backward();
        Assert.AreEqual(0.5, TorchOps.ClipGradNorm([a], 10.0), 1e-12);
        CollectionAssert.AreEqual(new double[] { 0.3, 0.4 }, a.Grad!.ToArray<double>());
    }
}
