// `maskedsft tokenize --tokenizer PATH`: JSON lines {"text": ...} on stdin become {"ids": [...]} lines on stdout, in order.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `tokenize` command.</summary>
internal static class TokenizeCommand
{
    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var tokenizerOption = new Option<string>("--tokenizer")
        {
            Description = "A tokenizer.json, GPT-2's encoder.json (vocab.bpe beside it), or a folder holding either.",
            Required = true,
        };
        var specialAsText = new Option<bool>("--special-as-text")
        {
            Description = "Encode special tokens written in the text (e.g. <|im_end|>) as ordinary text instead of their ids.",
        };
        var command = new Command("tokenize", "Read JSON lines {\"text\": \"...\"} from stdin and write one line {\"ids\": [...]} per input line, in order.");
        command.Options.Add(tokenizerOption);
        command.Options.Add(specialAsText);
        command.SetAction(parseResult =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            BpeTokenizer tokenizer;
            try
            {
                tokenizer = BpeTokenizer.Load(parseResult.GetValue(tokenizerOption)!);
            }
            catch (Exception e) when (e is FileNotFoundException or TokenizerFormatException)
            {
                error.WriteLine($"error: {e.Message}");
                return 1;
            }

            var output = parseResult.InvocationConfiguration.Output;
            bool toConsole = ReferenceEquals(output, Console.Out);
            using var stdout = toConsole ? Console.OpenStandardOutput() : null;
            var writer = stdout is null ? output : new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16);
            try
            {
                using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
                return Run(tokenizer, input, writer, error, !parseResult.GetValue(specialAsText));
            }
            finally
            {
                writer.Flush();
            }
        });
        return command;
    }

    /// <summary>Tokenizes every line of <paramref name="input"/>; returns the exit code (1 at the first bad line).</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="input">JSON lines, each an object with a string field "text".</param>
    /// <param name="output">Receives one {"ids": [...]} line per input line.</param>
    /// <param name="error">Receives the message of a bad line.</param>
    /// <param name="allowSpecialTokens">Whether special tokens in the text are matched.</param>
    /// <returns>0 when every line was tokenized, 1 otherwise.</returns>
    internal static int Run(BpeTokenizer tokenizer, TextReader input, TextWriter output, TextWriter error, bool allowSpecialTokens)
    {
        var ids = new List<int>();
        var buffer = new StringBuilder();
        long lineNumber = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            lineNumber++;
            string text;
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
                {
                    error.WriteLine($"error: stdin:{lineNumber}: expected an object with a string field \"text\", e.g. {{\"text\": \"Hello\"}}.");
                    return 1;
                }

                text = value.GetString()!;
            }
            catch (JsonException e)
            {
                error.WriteLine($"error: stdin:{lineNumber}: invalid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}); each line must be {{\"text\": \"...\"}}.");
                return 1;
            }

            ids.Clear();
            tokenizer.EncodeToIds(text, ids, allowSpecialTokens);
            buffer.Clear();
            buffer.Append("{\"ids\": [");
            for (int i = 0; i < ids.Count; i++)
            {
                if (i > 0)
                {
                    buffer.Append(", ");
                }

                buffer.Append(ids[i]);
            }

            buffer.Append("]}");
            output.WriteLine(buffer);
        }

        return 0;
    }
}
