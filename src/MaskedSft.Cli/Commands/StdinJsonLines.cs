// Reads JSON-object lines from a TextReader for the stdin/stdout commands, with line numbers for the errors.
using System.Text.Json;

namespace MaskedSft.Cli.Commands;

/// <summary>A bad input line of a stdin/stdout command; the message reads <c>stdin:N: problem</c>.</summary>
internal sealed class StdinLineException(long lineNumber, string problem) : Exception($"stdin:{lineNumber}: {problem}");

/// <summary>Parses input lines as JSON objects.</summary>
internal static class StdinJsonLines
{
    /// <summary>Each non-empty line of <paramref name="input"/> as a JSON object, with its 1-based line number.</summary>
    /// <param name="input">The lines.</param>
    /// <param name="example">An example line for the error message.</param>
    /// <returns>The documents; the caller disposes each.</returns>
    /// <exception cref="StdinLineException">A line is not a JSON object.</exception>
    public static IEnumerable<(long Line, JsonDocument Document)> Read(TextReader input, string example)
    {
        long number = 0;
        string? line;
        while ((line = input.ReadLine()) is not null)
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new StdinLineException(number, $"invalid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}); each line must be an object such as {example}.");
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new StdinLineException(number, $"expected a JSON object such as {example}.");
            }

            yield return (number, document);
        }
    }

    /// <summary>The "ids" array of a line: token ids in [0, <paramref name="vocabularySize"/>).</summary>
    /// <param name="ids">The JSON value.</param>
    /// <param name="lineNumber">The line, for errors.</param>
    /// <param name="vocabularySize">The model's vocabulary size.</param>
    /// <param name="minimum">The fewest ids accepted.</param>
    /// <returns>The ids.</returns>
    /// <exception cref="StdinLineException">The value is not such an array.</exception>
    public static int[] Ids(JsonElement ids, long lineNumber, int vocabularySize, int minimum)
    {
        if (ids.ValueKind != JsonValueKind.Array)
        {
            throw new StdinLineException(lineNumber, "\"ids\" must be an array of token ids.");
        }

        var result = new int[ids.GetArrayLength()];
        int k = 0;
        foreach (var id in ids.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out int value) || value < 0 || value >= vocabularySize)
            {
                throw new StdinLineException(lineNumber, $"ids[{k}] is {id.GetRawText()}, not a token id of the model (0..{vocabularySize - 1}).");
            }

            result[k++] = value;
        }

        return result.Length >= minimum
            ? result
            : throw new StdinLineException(lineNumber, $"\"ids\" has {result.Length} token(s); at least {minimum} are needed.");
    }
}
