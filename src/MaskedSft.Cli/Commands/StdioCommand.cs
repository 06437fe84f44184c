// The frame of the model commands that read JSON lines on stdin and write JSON lines on stdout: load, stream, report.
using System.CommandLine;
using System.Text;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Templates;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Cli.Commands;

/// <summary>Loads a model (reporting load errors as exit code 1), then runs a line processor between stdin and stdout.</summary>
internal static class StdioCommand
{
    /// <summary>Opens the input the commands read (the process's stdin; in-process tests substitute a reader).</summary>
    internal static Func<TextReader> OpenInput { get; set; } = () => new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);

    /// <summary>Loads the model with <paramref name="load"/> and runs <paramref name="process"/> on stdin/stdout.</summary>
    /// <param name="parseResult">The parsed command line (its configured output is used when it is not the console).</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="load">Loads the model.</param>
    /// <param name="process">Reads the input and writes the output; returns the exit code.</param>
    /// <returns>The exit code.</returns>
    public static int Run(ParseResult parseResult, TextWriter error, Func<IKvCacheCausalLm> load, Func<IKvCacheCausalLm, TextReader, TextWriter, int> process)
    {
        IKvCacheCausalLm model;
        try
        {
            model = load();
        }
        catch (Exception e) when (e is IOException or FormatException or ModelConfigException or SafetensorsFormatException or TokenizerFormatException
            or ChatTemplateException or TorchException or NotSupportedException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }

        using (model)
        {
            var output = parseResult.InvocationConfiguration.Output;
            using var stdout = ReferenceEquals(output, Console.Out) ? Console.OpenStandardOutput() : null;
            var writer = stdout is null ? output : new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16);
            try
            {
                using var input = OpenInput();
                return process(model, input, writer);
            }
            finally
            {
                writer.Flush();
            }
        }
    }
}
