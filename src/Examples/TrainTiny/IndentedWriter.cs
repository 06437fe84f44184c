// A console writer that indents every line (the trainer's progress lines under the job's numbered sections).
using System.Globalization;
using System.Text;

namespace MaskedSft.Examples.TrainTiny;

/// <summary>Writes lines to the console with a prefix.</summary>
/// <param name="prefix">The indentation.</param>
internal sealed class IndentedWriter(string prefix) : TextWriter
{
    public override Encoding Encoding => Console.Out.Encoding;

    public override IFormatProvider FormatProvider => CultureInfo.InvariantCulture;

    public override void WriteLine(string? value) => Console.WriteLine(prefix + value);

    public override void Write(char value) => Console.Write(value);
}
