// Test helper: runs code and asserts it left no native tensor alive and none for the finalizer to free.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests;

/// <summary>Leak assertions on <see cref="TensorCounters"/>. Use them only in [DoNotParallelize] classes: the counters
/// are process-wide.</summary>
internal static class TensorLeakAssert
{
    /// <summary>Runs <paramref name="action"/> with no dispose scope open and asserts that every tensor it created was
    /// disposed: the live count is back to its settled baseline, and the finalizer freed none of them (a tensor nobody
    /// disposed is a leak even when the GC collects it).</summary>
    public static void LeaksNothing(Action action, string what)
    {
        Assert.IsNull(DisposeScope.Current, "call LeaksNothing outside every dispose scope: a scope would hide leaks");
        long live = TensorCounters.SettledLive();
        long finalized = TensorCounters.Finalized;
        action();
        Assert.AreEqual(live, TensorCounters.Live, $"{what}: tensors still alive afterwards");
        Assert.AreEqual(live, TensorCounters.SettledLive(), $"{what}: live count after a GC");
        Assert.AreEqual(finalized, TensorCounters.Finalized, $"{what}: tensors freed by the finalizer (never disposed); set MASKEDSFT_TRACE_TENSOR_LEAKS=1 and read TensorLeakTrace.RecentLeaks to see where they were created");
    }
}
