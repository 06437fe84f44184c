// One sample of the soak: step, resident memory, live native tensors, managed heap.
using System.Globalization;

namespace MaskedSft.Tools.Reliability;

/// <summary>Memory figures after a training step.</summary>
/// <param name="Step">The completed optimizer step.</param>
/// <param name="Seconds">Seconds since the run started.</param>
/// <param name="RssBytes">Resident set size of the process (VmRSS).</param>
/// <param name="LiveTensors">Native tensors alive (<see cref="MaskedSft.Torch.TensorCounters.Live"/>).</param>
/// <param name="ManagedBytes">Managed heap in use.</param>
/// <param name="Loss">The step's loss.</param>
internal sealed record SoakSample(long Step, double Seconds, long RssBytes, long LiveTensors, long ManagedBytes, double Loss)
{
    /// <summary>The CSV header.</summary>
    public const string CsvHeader = "step,seconds,rss_mib,live_tensors,managed_mib,loss";

    /// <summary>One CSV line.</summary>
    /// <returns>The line.</returns>
    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Step},{Seconds:F2},{RssBytes / 1048576.0:F2},{LiveTensors},{ManagedBytes / 1048576.0:F2},{Loss:F5}");
}
