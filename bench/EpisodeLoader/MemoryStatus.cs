// Process memory from /proc/self/status: resident total, anonymous (private) and file-backed (mapped files) parts, peak.
namespace MaskedSft.Bench.EpisodeLoader;

/// <summary>A snapshot of the process's memory counters in KiB (zeros where /proc is not available).</summary>
internal readonly record struct MemoryStatus(long RssKb, long RssAnonKb, long RssFileKb, long PeakRssKb)
{
    public static MemoryStatus Read()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return default;
        }

        long rss = 0, anon = 0, file = 0, peak = 0;
        foreach (var line in File.ReadLines(path))
        {
            static long Kb(string line) => long.Parse(line.Split(':')[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anon = Kb(line);
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kb(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kb(line);
            }
        }

        return new MemoryStatus(rss, anon, file, peak);
    }
}
