// At the end of the test run: how many tensors the suite leaked to the finalizer, and (when traced) where they came from.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests;

[TestClass]
public static class TensorLeakReport
{
    /// <summary>Writes the count of finalized (never disposed) tensors, and their creation stacks when
    /// MASKEDSFT_TRACE_TENSOR_LEAKS=1, to the file named by MASKEDSFT_TENSOR_LEAK_REPORT (if set).</summary>
    [AssemblyCleanup]
    public static void WriteReport()
    {
        var path = Environment.GetEnvironmentVariable("MASKEDSFT_TENSOR_LEAK_REPORT");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        _ = TensorCounters.SettledLive();
        var lines = new List<string> { $"finalized tensors: {TensorCounters.Finalized}" };
        lines.AddRange(TensorLeakTrace.RecentLeaks);
        File.WriteAllLines(path, lines);
    }
}
