// Tests of DisposeScope ownership rules and of the native live/peak tensor counters.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class DisposeScopeTests
{
    [TestMethod]
    public void Dispose_FreesEveryTensorCreatedInside()
    {
        var baseline = TensorCounters.SettledLive();
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
        var baseline = TensorCounters.SettledLive();
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
        var baseline = TensorCounters.SettledLive();
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
        var baseline = TensorCounters.SettledLive();
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

    [TestMethod]
    public void Finalizer_FreesForgottenTensor_AndCountsIt()
    {
        long live = TensorCounters.SettledLive();
        long finalized = TensorCounters.Finalized;
        Forget();
        Assert.AreEqual(live + 1, TensorCounters.Live, "the forgotten tensor holds its handle until a GC runs");
        Assert.AreEqual(live, TensorCounters.SettledLive(), "the finalizer frees it");
        Assert.AreEqual(finalized + 1, TensorCounters.Finalized, "and counts it as a leak");

        using (TorchOps.Ones([2]))
        {
        }

        _ = TensorCounters.SettledLive();
        Assert.AreEqual(finalized + 1, TensorCounters.Finalized, "a disposed tensor is not counted");

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void Forget() => _ = TorchOps.Ones([3]);
    }

    [TestMethod]
    public void LeakTrace_Enabled_RecordsWhereTheForgottenTensorWasCreated()
    {
        bool was = TensorLeakTrace.Enabled;
        _ = TensorCounters.SettledLive();
        TensorLeakTrace.Clear();
        try
        {
            TensorLeakTrace.Enabled = true;
            ForgetTraced();
            TensorLeakTrace.Enabled = false;
            _ = TensorCounters.SettledLive();
            var leak = TensorLeakTrace.RecentLeaks.Single();
            StringAssert.StartsWith(leak, "[2, 5] Float32 cpu created at:");
            var frames = leak.Split('\n').Skip(1).Select(l => l.Trim()).ToArray();
            int caller = Array.FindIndex(frames, f => f.Contains(nameof(ForgetTraced), StringComparison.Ordinal));
            Assert.IsGreaterThan(0, caller, "the code that created the tensor is on the stack");
            Assert.IsTrue(frames[..caller].All(f => f.StartsWith("at MaskedSft.Torch.TorchOps.", StringComparison.Ordinal)), "above it only the creating TorchOps calls, not the tracer or a constructor: " + string.Join(" | ", frames[..caller]));
        }
        finally
        {
            TensorLeakTrace.Enabled = was;
            TensorLeakTrace.Clear();
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void ForgetTraced() => _ = TorchOps.Zeros([2, 5]);
    }
}
