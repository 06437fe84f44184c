// Tests of TorchProfiler: libtorch 1.13 refuses with a clear error; libtorch 2.x writes a Chrome trace of the ops run.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class TorchProfilerTests
{
    [TestMethod]
    public void StartStop_OnLibtorch1_FailsClearly_ElseWritesAChromeTraceOfTheOps()
    {
        var path = Path.Combine(Path.GetTempPath(), $"msft-profile-{Environment.ProcessId}.json");
        File.Delete(path);
        if (TorchOps.TorchVersion.StartsWith("1.", StringComparison.Ordinal))
        {
            var e = Assert.ThrowsExactly<TorchException>(() => TorchProfiler.Start(cuda: false));
            StringAssert.Contains(e.Message, "needs libtorch 2.x");
            Assert.IsFalse(TorchProfiler.IsRunning);
            var stop = Assert.ThrowsExactly<TorchException>(() => TorchProfiler.Stop(path));
            StringAssert.Contains(stop.Message, "not running");
            Assert.IsFalse(File.Exists(path));
            return;
        }

        TorchProfiler.Start(cuda: false);
        try
        {
            Assert.IsTrue(TorchProfiler.IsRunning);
            using var scope = new DisposeScope();
            using var g = Generator.Create(5);
            var a = TorchOps.Randn([16, 16], g);
            _ = a.Mm(a).Sum().Item<float>();
        }
        finally
        {
            TorchProfiler.Stop(path);
        }

        Assert.IsFalse(TorchProfiler.IsRunning);
        var trace = File.ReadAllText(path);
        File.Delete(path);
        StringAssert.Contains(trace, "traceEvents");
        StringAssert.Contains(trace, "aten::mm");
    }

    [TestMethod]
    public void Stop_WithoutStart_Fails()
    {
        var e = Assert.ThrowsExactly<TorchException>(() => TorchProfiler.Stop(Path.Combine(Path.GetTempPath(), "msft-never.json")));
        StringAssert.Contains(e.Message, "not running");
    }
}
