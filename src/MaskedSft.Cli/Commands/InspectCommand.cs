// `maskedsft inspect --data DIR --episode N`: shows an episode's tokens with trained and masked tokens told apart.
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tokenizers;

namespace MaskedSft.Cli.Commands;

/// <summary>Factory of the `inspect` command.</summary>
internal static class InspectCommand
{
    private const string TrainedOpen = "[[";
    private const string TrainedClose = "]]";

    /// <summary>Creates the command.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The episode dataset directory.", Required = true };
        var episode = new Option<int>("--episode") { Description = "Index of the episode (0-based).", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "text (trained tokens in colour on a terminal, between [[ ]] otherwise), json (array of {id, text, trained}; tokens that split a UTF-8 character add bytes (hex) and partial: true), or html.",
            DefaultValueFactory = _ => "text",
        };
        format.AcceptOnlyFromAmong("text", "json", "html");
        var tokenizerOption = new Option<string?>("--tokenizer")
        {
            Description = "The tokenizer to decode with (default: the one recorded in the dataset by prepare).",
        };
        var command = new Command("inspect", "Show one episode of a dataset: its tokens, decoded, with the trained (mask 1) ones marked.");
        command.Options.Add(data);
        command.Options.Add(episode);
        command.Options.Add(format);
        command.Options.Add(tokenizerOption);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            string path = parseResult.GetValue(data)!;
            int index = parseResult.GetValue(episode);
            try
            {
                using var dataset = EpisodeDataset.Open(path, EpisodeVerification.Structure);
                if (index < 0 || index >= dataset.EpisodeCount)
                {
                    error.WriteLine($"error: --episode {index} is out of range; {path} has {dataset.EpisodeCount} episodes (0 to {dataset.EpisodeCount - 1}).");
                    return 2;
                }

                var tokenizer = LoadTokenizer(dataset, parseResult.GetValue(tokenizerOption), error);
                if (tokenizer is null)
                {
                    return 1;
                }

                var info = dataset.GetEpisode(index);
                int[] ids = dataset.GetEpisodeTokens(index);
                byte[] mask = dataset.GetEpisodeMask(index);
                switch (parseResult.GetValue(format))
                {
                    case "json":
                        WriteJson(output, tokenizer, ids, mask);
                        break;
                    case "html":
                        WriteHtml(output, tokenizer, dataset, info, index, ids, mask);
                        break;
                    default:
                        bool colour = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
                            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
                        WriteText(output, tokenizer, info, index, ids, mask, colour);
                        break;
                }

                return 0;
            }
            catch (Exception e) when (e is EpisodeDatasetException or FileNotFoundException or DirectoryNotFoundException or TokenizerFormatException or ArgumentOutOfRangeException)
            {
                error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static BpeTokenizer? LoadTokenizer(EpisodeDataset dataset, string? explicitPath, TextWriter error)
    {
        var recorded = dataset.Header.Tokenizer;
        if (DatasetTokenizer.Locate(dataset, explicitPath) is not { } path)
        {
            error.WriteLine($"error: the dataset records the tokenizer '{recorded?.Name ?? "(none)"}', which is not a file here; pass --tokenizer PATH "
                + "(a tokenizer.json, GPT-2's encoder.json, or a folder holding either).");
            return null;
        }

        var tokenizer = BpeTokenizer.Load(path);
        if (!DatasetTokenizer.Matches(dataset, tokenizer))
        {
            error.WriteLine($"warning: {path} ({tokenizer.Fingerprint}) is not the tokenizer that produced the dataset ({recorded!.Fingerprint}); the text may be wrong.");
        }

        return tokenizer;
    }

    /// <summary>
    /// One object per token: id, text, trained. A token whose bytes are not whole UTF-8 characters on their own (byte-level
    /// BPE splits emoji and CJK characters over several tokens) also carries <c>bytes</c> (its bytes in hex) and
    /// <c>partial: true</c>, with <c>piece_start</c> / <c>piece_tokens</c> naming the run of tokens that together decode to
    /// whole characters; the run's text is on its first token and the others have "", so concatenating every <c>text</c>
    /// gives the decoded episode. A run whose bytes are not valid UTF-8 at all (an episode cut inside a character) is
    /// flagged <c>invalid_utf8: true</c>: its text holds U+FFFD where the bytes were, never silently.
    /// </summary>
    private static void WriteJson(TextWriter output, BpeTokenizer tokenizer, int[] ids, byte[] mask)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var (start, count, text) in tokenizer.DecodePieces(ids))
            {
                bool whole = count == 1 && IsValidUtf8(tokenizer.TokenToBytes(ids[start]));
                bool invalid = !whole && !IsValidUtf8(ids.AsSpan(start, count).ToArray().SelectMany(tokenizer.TokenToBytes).ToArray());
                for (int i = start; i < start + count; i++)
                {
                    json.WriteStartObject();
                    json.WriteNumber("id", ids[i]);
                    json.WriteString("text", i == start ? text : string.Empty);
                    json.WriteBoolean("trained", mask[i] != 0);
                    if (!whole)
                    {
                        json.WriteString("bytes", Convert.ToHexString(tokenizer.TokenToBytes(ids[i])).ToLowerInvariant());
                        json.WriteBoolean("partial", true);
                        json.WriteNumber("piece_start", start);
                        json.WriteNumber("piece_tokens", count);
                        if (invalid) json.WriteBoolean("invalid_utf8", true);
                    }

                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
        }

        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Whether the bytes are complete, well-formed UTF-8 (no cut or invalid sequence).</summary>
    private static bool IsValidUtf8(byte[] bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static void WriteText(TextWriter output, BpeTokenizer tokenizer, EpisodeInfo info, int index, int[] ids, byte[] mask, bool colour)
    {
        int trained = mask.Count(m => m != 0);
        output.WriteLine(Describe(info, index, ids.Length, trained));
        output.WriteLine(colour
            ? "legend: \u001b[42;30mtrained (mask 1)\u001b[0m, masked (mask 0) in the default colour"
            : $"legend: trained text (mask 1) is between {TrainedOpen} and {TrainedClose}; the rest is masked (mask 0)");
        output.WriteLine(new string('-', 60));
        var text = new StringBuilder();
        foreach (var (start, length, run) in Runs(tokenizer, ids, mask))
        {
            bool isTrained = mask[start] != 0;
            if (colour)
            {
                text.Append(isTrained ? "\u001b[42;30m" + run + "\u001b[0m" : run);
            }
            else
            {
                text.Append(isTrained ? TrainedOpen + run + TrainedClose : run);
            }
        }

        output.WriteLine(text.ToString());
    }

    private static void WriteHtml(TextWriter output, BpeTokenizer tokenizer, EpisodeDataset dataset, EpisodeInfo info, int index, int[] ids, byte[] mask)
    {
        int trained = mask.Count(m => m != 0);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine(CultureInfo.InvariantCulture, $"<title>episode {index} of {Escape(dataset.DirectoryPath)}</title>");
        html.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em}pre{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;line-height:1.6}"
            + "span.t{background:#c8f7c5;border-bottom:2px solid #2e8b2e}span.m{color:#555;background:#f2f2f2}span.t,span.m{border-radius:2px;margin-right:1px}"
            + ".legend span{padding:0 .4em}</style></head><body>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<h1>{Escape(Describe(info, index, ids.Length, trained))}</h1>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p>{Escape(dataset.DirectoryPath)}; tokenizer {Escape(tokenizer.Name)}</p>");
        html.AppendLine("<p class=\"legend\"><span class=\"t\">trained (mask 1)</span> <span class=\"m\">masked (mask 0)</span>; hover a token for its id</p>");
        html.Append("<pre>");
        foreach (var (start, count, text) in tokenizer.DecodePieces(ids))
        {
            string cls = mask[start] != 0 ? "t" : "m";
            string title = string.Join(' ', ids.Skip(start).Take(count));
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"{cls}\" title=\"{title}\">{Escape(text)}</span>");
        }

        html.AppendLine("</pre>");
        html.AppendLine("</body></html>");
        output.Write(html.ToString());
    }

    /// <summary>Escapes the HTML metacharacters only, keeping every other character as UTF-8 text.</summary>
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);

    private static string Describe(EpisodeInfo info, int index, int length, int trained)
    {
        var c = CultureInfo.InvariantCulture;
        string score = info.Score is { } s ? string.Create(c, $", score {s:G6}") : string.Empty;
        string group = info.GroupId is { } g ? string.Create(c, $", group {g}") : string.Empty;
        return string.Create(c, $"episode {index} (key 0x{info.Key:X16}, {info.Split.ToString().ToLowerInvariant()}, {length} tokens, {trained} trained{score}{group})");
    }

    /// <summary>Maximal runs of tokens with the same mask bit, each decoded as a whole.</summary>
    private static IEnumerable<(int Start, int Length, string Text)> Runs(BpeTokenizer tokenizer, int[] ids, byte[] mask)
    {
        int start = 0;
        for (int i = 1; i <= ids.Length; i++)
        {
            if (i == ids.Length || (mask[i] != 0) != (mask[start] != 0))
            {
                yield return (start, i - start, tokenizer.Decode(ids.AsSpan(start, i - start)));
                start = i;
            }
        }
    }
}
