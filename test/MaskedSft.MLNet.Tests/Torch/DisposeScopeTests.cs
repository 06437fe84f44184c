// Tests of DisposeScope ownership rules and of the native live/peak tensor counters.
using MaskedSft.MLNet.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class DisposeScopeTests
{
    [TestMethod]
    public void Dispose_FreesEveryTensorCreatedInside()
    {
        var baseline = TensorCounters.Live;
        Tensor a, b;
        using (var scope = new DisposeScope())
        {
            a = TorchOps.Ones([3]);
            b = a * 2 + 1;
            Assert.AreEqual(baseline + 3, TensorCounters.Live); // ones, a * 2, (a * 2) + 1
            Assert.AreEqual(3, scope.Count);
        }

        Assert.IsTrue(a.IsDisposed);
        Assert.IsTrue(b.IsDisposed);
        Assert.AreEqual(baseline, TensorCounters.Live);
        Assert.ThrowsExactly<ObjectDisposedException>(() => _ = a.Shape);
    }

    [TestMethod]
    public void MoveToOuterScope_KeepsTensorAliveUntilOuterEnds()
    {
        var baseline = TensorCounters.Live;
        using (var outer = new DisposeScope())
        {
            Tensor kept;
            using (var inner = new DisposeScope())
            {
                var tmp = TorchOps.Ones([2]);
                kept = (tmp + 1).MoveToOuterScope();
            }

            Assert.IsFalse(kept.IsDisposed);
            Assert.AreEqual(baseline + 1, TensorCounters.Live);
            CollectionAssert.AreEqual(new float[] { 2, 2 }, kept.ToArray<float>());
            Assert.AreSame(outer, kept.OwningScope);
        }

        Assert.AreEqual(baseline, TensorCounters.Live);
    }

    [TestMethod]
    public void DetachFromDisposeScope_CallerOwnsTheTensor()
    {
        var baseline = TensorCounters.Live;
        Tensor owned;
        using (var scope = new DisposeScope())
        {
            owned = TorchOps.Zeros([1]).DetachFromDisposeScope();
        }

        Assert.IsFalse(owned.IsDisposed);
        owned.Dispose();
        Assert.AreEqual(baseline, TensorCounters.Live);
    }

    [TestMethod]
    public void Parameters_SurviveScopes()
    {
        using var data = TorchOps.Ones([2]).DetachFromDisposeScope();
        Parameter p;
        using (var scope = new DisposeScope())
        {
            p = new Parameter(data);
            _ = p * 3;
        }

        Assert.IsFalse(p.IsDisposed);
        Assert.IsTrue(p.RequiresGrad);
        p.Dispose();
    }

    [TestMethod]
    public void Peak_TracksHighestLiveCount()
    {
        var baseline = TensorCounters.Live;
        TensorCounters.ResetPeak();
        using (var scope = new DisposeScope())
        {
            for (var i = 0; i < 10; i++)
            {
                _ = TorchOps.Zeros([1]);
            }
        }

        Assert.AreEqual(baseline + 10, TensorCounters.Peak);
        Assert.AreEqual(baseline, TensorCounters.Live);
    }

    [TestMethod]
    public void Dispose_OutOfOrder_ThrowsButFreesTensors()
    {
        var outer = new DisposeScope();
        var inner = new DisposeScope();
        var t = TorchOps.Zeros([1]);
        Assert.ThrowsExactly<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        Assert.IsTrue(t.IsDisposed);
        Assert.IsNull(DisposeScope.Current);
    }
}
