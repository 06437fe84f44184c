// Where a launch's prefixed lines go: the launcher's stdout and stderr, one whole line at a time.
namespace MaskedSft.Cli.Launch;

/// <summary>Writes whole lines from many threads (the ranks' output readers) to the launcher's two writers.</summary>
internal sealed class LineSink(TextWriter output, TextWriter error)
{
    private readonly Lock _gate = new();

    /// <summary>Writes a line to the standard output.</summary>
    public void Out(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>Writes a line to the standard error.</summary>
    public void Error(string line)
    {
        lock (_gate)
        {
            error.WriteLine(line);
            error.Flush();
        }
    }
}
