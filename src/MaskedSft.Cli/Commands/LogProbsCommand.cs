// `maskedsft logprobs --model DIR`: JSON lines {"ids": [...]} on stdin become {"logprobs": [...]} lines on stdout, in order.
using System.CommandLine;
using System.Text;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `logprobs` command: the reference log-probs of RL, log p(ids[i+1] | ids[0..i]) per position.</summary>
internal static class LogProbsCommand
{
    /// <summary>An example input line.</summary>
    private const string Example = "{\"ids\": [1, 2, 3]}";

    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var model = new ModelFolderArguments();
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 8 };
        var command = new Command("logprobs",
            "Read JSON lines {\"ids\": [...]} from stdin and write one line {\"logprobs\": [...]} per input, in order: len(ids)-1 values, log p(ids[i+1] | ids[0..i]), computed in float32.");
        model.AddTo(command);
        command.Options.Add(batchSize);
        command.SetAction(parseResult =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            if (parseResult.GetValue(batchSize) < 1)
            {
                error.WriteLine("error: --batch-size must be positive.");
                return 2;
            }

            return StdioCommand.Run(parseResult, error, () => model.Load(parseResult),
                (lm, input, output) => Run(lm, input, output, error, parseResult.GetValue(batchSize)));
        });
        return command;
    }

    /// <summary>Writes the log-probs of every input line; returns the exit code (1 at the first bad line, after the lines before it).</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">JSON lines {"ids": [...]} with at least 2 ids each.</param>
    /// <param name="output">Receives one {"logprobs": [...]} line per input line.</param>
    /// <param name="error">Receives the message of a bad line.</param>
    /// <param name="batchSize">Sequences per forward pass.</param>
    /// <returns>0 when every line was processed, 1 otherwise.</returns>
    internal static int Run(ICausalLm model, TextReader input, TextWriter output, TextWriter error, int batchSize)
    {
        var pending = new List<int[]>();
        void Flush()
        {
            if (pending.Count == 0)
            {
                return;
            }

            foreach (var values in SequenceLogProbs.Compute(model, pending, batchSize))
            {
                JsonLineWriter.WriteLine(output, json =>
                {
                    json.WriteStartArray("logprobs");
                    foreach (var v in values)
                    {
                        json.WriteNumberValue(v);
                    }

                    json.WriteEndArray();
                });
            }

            pending.Clear();
        }

        try
        {
            foreach (var (line, document) in StdinJsonLines.Read(input, Example))
            {
                using (document)
                {
                    if (!document.RootElement.TryGetProperty("ids", out var ids))
                    {
                        throw new StdinLineException(line, $"expected a field \"ids\", e.g. {Example}.");
                    }

                    pending.Add(StdinJsonLines.Ids(ids, line, model.VocabSize, minimum: 2));
                }

                if (pending.Count == batchSize)
                {
                    Flush();
                }
            }

            Flush();
            return 0;
        }
        catch (StdinLineException e)
        {
            Flush();
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
