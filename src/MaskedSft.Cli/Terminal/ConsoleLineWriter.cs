// A TextWriter that hands whole lines to a Spectre console, so they print above a live progress bar.
using System.Text;
using Spectre.Console;

namespace MaskedSft.Cli.Terminal;

/// <summary>Buffers written text and writes each completed line to an <see cref="IAnsiConsole"/> as plain text (no markup).</summary>
/// <param name="console">The console.</param>
internal sealed class ConsoleLineWriter(IAnsiConsole console) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly object _gate = new();

    /// <inheritdoc />
    public override Encoding Encoding => Encoding.UTF8;

    /// <inheritdoc />
    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                console.Write(new Text(_line.ToString().TrimEnd('\r')));
                console.WriteLine();
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }
    }

    /// <inheritdoc />
    public override void Write(string? value)
    {
        if (value is null) return;
        foreach (var c in value) Write(c);
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }
}
