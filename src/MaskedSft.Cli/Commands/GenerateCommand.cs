// `maskedsft generate --model DIR`: JSON lines {"ids"}, {"text"} or {"messages"} on stdin become {"new_ids", "text"} lines.
using System.CommandLine;
using System.Text.Json;
using MaskedSft.Cli.Terminal;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `generate` command: KV-cache generation from a model folder, greedy or sampled.</summary>
internal static class GenerateCommand
{
    private const string Example = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}";

    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var model = new ModelFolderArguments();
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Most new tokens per input (the first eos ends a row earlier; it is kept).", Required = true };
        var greedy = new Option<bool>("--greedy") { Description = "Take the most likely token at each step (the default unless generation_config.json samples)." };
        var temperature = new Option<double?>("--temperature") { Description = "Sample, dividing the logits by T (other sampling settings from generation_config.json)." };
        var topP = new Option<double?>("--top-p") { Description = "Sample from the smallest set of most likely tokens whose probability reaches P." };
        var topK = new Option<int?>("--top-k") { Description = "Sample from the K most likely tokens (0: all)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of sampling; samples also depend on how inputs are batched (--batch-size).", DefaultValueFactory = _ => 0UL };
        var batchSize = new Option<int>("--batch-size") { Description = "Inputs generated together (left-padded).", DefaultValueFactory = _ => 8 };
        var template = new Option<string?>("--template") { Description = $"Chat template of \"messages\" inputs: {ChatTemplate.BuiltInNames} or a template file (default: the model folder's, recognised)." };
        var enableThinking = new Option<bool>("--enable-thinking") { Description = "Qwen3: false ends the generation prompt with an empty think block.", DefaultValueFactory = _ => true };
        var date = new Option<string?>("--date") { Description = "The \"Today Date\" of Llama 3.1/3.2 templates (default: the template's)." };
        var command = new Command("generate",
            "Read JSON lines {\"ids\": [...]}, {\"text\": \"...\"} (tokenized with the tokenizer's special tokens, e.g. Llama's BOS) or {\"messages\": [...]} "
            + "(chat template + generation prompt) from stdin; write one line {\"new_ids\": [...], \"text\": \"...\"} per input, in order (text: the new ids decoded without special tokens).");
        model.AddTo(command);
        foreach (var option in new Option[] { maxNewTokens, greedy, temperature, topP, topK, seed, batchSize, template, enableThinking, date })
        {
            command.Options.Add(option);
        }

        command.SetAction(parseResult =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var (t, p, k) = (parseResult.GetValue(temperature), parseResult.GetValue(topP), parseResult.GetValue(topK));
            bool sampling = t is not null || p is not null || k is not null;
            if (parseResult.GetValue(greedy) && sampling)
            {
                error.WriteLine("error: --greedy cannot be combined with --temperature, --top-p or --top-k.");
                return 2;
            }

            if (parseResult.GetValue(maxNewTokens) < 0 || parseResult.GetValue(batchSize) < 1)
            {
                error.WriteLine("error: --max-new-tokens must be >= 0 and --batch-size positive.");
                return 2;
            }

            ModelFolderTokenizer? folder = null;
            return StdioCommand.Run(parseResult, error,
                () =>
                {
                    folder = ModelFolderTokenizer.Load(parseResult.GetValue(model.Model)!);
                    return model.Load(parseResult);
                },
                (lm, input, output) =>
                {
                    var decoding = DecodingOptions.FromGenerationConfig(lm.GenerationConfig, parseResult.GetValue(maxNewTokens)) with { Seed = parseResult.GetValue(seed) };
                    if (decoding.EosTokenIds is not { Count: > 0 })
                    {
                        decoding = decoding with { EosTokenIds = folder!.EndOfSequenceIds };
                    }

                    if (parseResult.GetValue(greedy))
                    {
                        decoding = decoding with { DoSample = false };
                    }
                    else if (sampling)
                    {
                        decoding = decoding with { DoSample = true, Temperature = t ?? decoding.Temperature, TopP = p ?? decoding.TopP, TopK = k ?? decoding.TopK };
                    }

                    var render = new ChatRenderOptions { AddGenerationPrompt = true, EnableThinking = parseResult.GetValue(enableThinking), DateString = parseResult.GetValue(date) };
                    var templateName = parseResult.GetValue(template);
                    var prompts = new PromptReader(folder!, templateName is null ? null : ChatTemplate.FromNameOrPath(templateName), render, lm.VocabSize);
                    var terminal = TerminalProgress.ForStandardError(output);
                    return terminal.Run("generate", null, bar => Run(lm, prompts, input, terminal.Lines(output), error, decoding, parseResult.GetValue(batchSize), bar));
                });
        });
        return command;
    }

    /// <summary>Generates for every input line; returns the exit code (1 at the first bad line, after the lines before it).</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompts">Turns input lines into prompt ids and new ids into text.</param>
    /// <param name="input">JSON lines with "ids", "text" or "messages".</param>
    /// <param name="output">Receives one {"new_ids": [...], "text": "..."} line per input line.</param>
    /// <param name="error">Receives the message of a bad line.</param>
    /// <param name="decoding">The decoding settings.</param>
    /// <param name="batchSize">Inputs generated together.</param>
    /// <param name="bar">A terminal progress bar to label with the counts so far; null for none.</param>
    /// <returns>0 when every line was processed, 1 otherwise.</returns>
    internal static int Run(IKvCacheCausalLm model, PromptReader prompts, TextReader input, TextWriter output, TextWriter error, DecodingOptions decoding, int batchSize,
        TerminalProgress.ProgressBar? bar = null)
    {
        var pending = new List<int[]>();
        long done = 0, generated = 0;
        void Flush()
        {
            if (pending.Count == 0)
            {
                return;
            }

            foreach (var sequence in CausalLmGenerator.Generate(model, pending, decoding))
            {
                JsonLineWriter.WriteLine(output, json =>
                {
                    json.WriteStartArray("new_ids");
                    foreach (var id in sequence.TokenIds)
                    {
                        json.WriteNumberValue(id);
                    }

                    json.WriteEndArray();
                    json.WriteString("text", prompts.Decode(sequence.TokenIds));
                });
                done++;
                generated += sequence.TokenIds.Length;
            }

            bar?.Describe(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"generate: {done:N0} prompts, {generated:N0} new tokens"));

            pending.Clear();
        }

        try
        {
            foreach (var (line, document) in StdinJsonLines.Read(input, Example))
            {
                using (document)
                {
                    pending.Add(prompts.PromptIds(document.RootElement, line));
                }

                if (pending.Count == batchSize)
                {
                    Flush();
                }
            }

            Flush();
            return 0;
        }
        catch (Exception e) when (e is StdinLineException or ChatTemplateException or ArgumentException)
        {
            Flush();
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>The prompt ids of an input line, and the text of generated ids.</summary>
    /// <param name="folder">The model folder's tokenizer files.</param>
    /// <param name="template">The chat template of "messages" lines; null for the folder's (recognised when first needed).</param>
    /// <param name="render">How "messages" are rendered (with the generation prompt).</param>
    /// <param name="vocabularySize">The model's vocabulary size (ids must be below it).</param>
    internal sealed class PromptReader(ModelFolderTokenizer folder, ChatTemplate? template, ChatRenderOptions render, int vocabularySize)
    {
        /// <summary>The prompt of a line: its "ids", its "text" with the tokenizer's special tokens, or its "messages" rendered.</summary>
        /// <param name="line">The JSON object.</param>
        /// <param name="lineNumber">Its line number.</param>
        /// <returns>The prompt ids (at least one).</returns>
        /// <exception cref="StdinLineException">The line has none of the fields, or a bad one.</exception>
        /// <exception cref="ChatTemplateException">The folder's chat template is not recognised (for a "messages" line).</exception>
        public int[] PromptIds(JsonElement line, long lineNumber)
        {
            if (line.TryGetProperty("ids", out var ids))
            {
                return StdinJsonLines.Ids(ids, lineNumber, vocabularySize, minimum: 1);
            }

            if (line.TryGetProperty("text", out var text))
            {
                var encoded = text.ValueKind == JsonValueKind.String
                    ? folder.Tokenizer.EncodeWithSpecialTokens(text.GetString())
                    : throw new StdinLineException(lineNumber, "\"text\" must be a string.");
                return encoded.Length > 0 ? encoded : throw new StdinLineException(lineNumber, "\"text\" encodes to no token; give a non-empty prompt.");
            }

            if (line.TryGetProperty("messages", out var messages))
            {
                var chat = template ?? folder.RequireChatTemplate();
                var parsed = ChatMessagesJson.Parse(messages, chat, (_, problem) => new StdinLineException(lineNumber, problem));
                return chat.Render(parsed, folder.Tokenizer, render).Ids;
            }

            throw new StdinLineException(lineNumber, $"expected a field \"ids\", \"text\" or \"messages\", e.g. {Example}.");
        }

        /// <summary>The text of generated ids, without special tokens.</summary>
        /// <param name="ids">The ids.</param>
        /// <returns>The text.</returns>
        public string Decode(int[] ids) => folder.Tokenizer.Decode(ids, skipSpecialTokens: true);
    }
}
