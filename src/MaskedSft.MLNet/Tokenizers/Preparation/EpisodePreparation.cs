// Turns chat JSONL (OpenAI-style messages) and Atropos scored-data JSONL into an episode dataset, atomically.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>
/// Reads a JSONL file line by line and writes an episode dataset with <see cref="EpisodeDatasetWriter"/>:
/// <list type="bullet">
/// <item>Chat lines <c>{"messages": [{"role": ..., "content": ...}, ...]}</c> are rendered by the chat template into ids and
/// the assistant-only loss mask (one episode per line).</item>
/// <item>Atropos scored-data lines <c>{"tokens": [[...]], "masks": [[...]], "scores": [...]}</c> give one episode per sequence;
/// a mask entry is the token id where the token is trained and -100 elsewhere; the episode keeps its score and, as its
/// group, the line's <c>group_id</c> (an integer) or else the line number. Optional <c>advantages</c> give per-token weights:
/// per sequence an array (one number per token) or a single number (the same for every token). A line with <c>tokens</c>
/// is an Atropos line even when it also has <c>messages</c>; other Atropos fields (ref_logprobs, messages, overrides) are
/// ignored.</item>
/// </list>
/// When any Atropos line carries advantages (a quick first pass over the file tells), the dataset gets advantages.bin and
/// episodes without advantages (chat lines, Atropos lines without them) get 1.0 on every token, the weight of plain SFT.
/// Episodes longer than <see cref="PreparationOptions.MaxLength"/> are truncated; episodes with no supervised target
/// (see <see cref="MaskAudit"/>) are dropped. A bad line stops the run with <c>FILE:LINE: reason</c>, or is counted and
/// skipped with <see cref="PreparationOptions.SkipBadLines"/>. The dataset appears only when the whole run succeeds:
/// an exception or a cancellation leaves nothing at the output path.
/// </summary>
public static class EpisodePreparation
{
    /// <summary>Runs the preparation.</summary>
    /// <param name="options">Input, tokenizer, template, limits and output.</param>
    /// <param name="progress">Receives progress reports (about every 256 lines and at the end); may be null.</param>
    /// <param name="cancellationToken">Stops the run; nothing is written then.</param>
    /// <returns>The counts of the run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">MaxLength is negative or ValidationFraction outside [0, 1].</exception>
    /// <exception cref="FileNotFoundException">The input file does not exist.</exception>
    /// <exception cref="PreparationLineException">A line is bad and SkipBadLines is false.</exception>
    /// <exception cref="ChatTemplateException">The tokenizer lacks a token the template needs (raised by the first chat line).</exception>
    /// <exception cref="InvalidDataException">No episode was produced.</exception>
    /// <exception cref="IOException">The output exists (without Overwrite) or writing failed.</exception>
    /// <exception cref="OperationCanceledException">The run was cancelled.</exception>
    public static PreparationStatistics Run(PreparationOptions options, IProgress<PreparationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxLength);
        if (!(options.ValidationFraction >= 0 && options.ValidationFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1].");
        }

        if (!File.Exists(options.InputPath))
        {
            throw new FileNotFoundException($"The input file '{options.InputPath}' was not found.", options.InputPath);
        }

        // The template is checked against the tokenizer by the first chat line (a file of Atropos lines needs no template).
        var tokenizer = options.Tokenizer;
        bool withAdvantages = AnyAdvantages(options.InputPath, cancellationToken);
        var writerOptions = new EpisodeDatasetWriterOptions
        {
            WithAdvantages = withAdvantages,
            VocabSize = tokenizer.VocabularySize,
            PadId = tokenizer.PaddingId ?? tokenizer.EndOfSequenceId ?? 0,
            Tokenizer = new TokenizerIdentity { Name = options.TokenizerPath ?? tokenizer.Name, Fingerprint = tokenizer.Fingerprint },
            Source = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(options.InputPath)} (template {options.Template.Name}, train on {options.TrainOn.ToString().ToLowerInvariant()} assistant turns, max length {options.MaxLength})"),
            ValidationFraction = options.ValidationFraction,
            SplitSeed = options.Seed,
            Overwrite = options.Overwrite,
        };

        var stats = new PreparationStatistics { HasAdvantages = withAdvantages };
        var renderOptions = new ChatRenderOptions { TrainOn = options.TrainOn, EnableThinking = options.EnableThinking, DateString = options.DateString };
        using (var writer = new EpisodeDatasetWriter(options.OutputPath, writerOptions))
        {
            using var stream = new FileStream(options.InputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            long total = stream.Length;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stats.Lines++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                List<Candidate> candidates;
                try
                {
                    candidates = ParseLine(line, stats.Lines, options, renderOptions);
                }
                catch (PreparationLineException e) when (options.SkipBadLines)
                {
                    stats.SkippedLines++;
                    if (stats.SkippedErrors.Count < 100)
                    {
                        stats.SkippedErrors.Add(e);
                    }

                    continue;
                }

                foreach (var candidate in candidates)
                {
                    Write(writer, candidate, options.MaxLength, withAdvantages, stats);
                }

                if ((stats.Lines & 255) == 0)
                {
                    progress?.Report(new PreparationProgress(stream.Position, total, stats.Lines, stats.Episodes));
                }
            }

            progress?.Report(new PreparationProgress(total, total, stats.Lines, stats.Episodes));
            if (stats.Episodes == 0)
            {
                throw new InvalidDataException($"{options.InputPath}: no episode was produced ({stats.Lines} lines, {stats.SkippedLines} skipped, "
                    + $"{stats.DroppedNoSupervision} without a supervised token); nothing was written.");
            }

            cancellationToken.ThrowIfCancellationRequested();
            writer.Complete();
        }

        using var dataset = EpisodeDataset.Open(options.OutputPath, EpisodeVerification.Structure);
        stats.TrainEpisodes = dataset.Header.TrainEpisodeCount;
        stats.ValidationEpisodes = dataset.Header.ValidationEpisodeCount;
        return stats;
    }

    private static void Write(EpisodeDatasetWriter writer, Candidate candidate, int maxLength, bool withAdvantages, PreparationStatistics stats)
    {
        int[] ids = candidate.Ids;
        byte[] mask = candidate.Mask;
        float[]? advantages = withAdvantages ? candidate.Advantages ?? Enumerable.Repeat(1f, ids.Length).ToArray() : null;
        if (maxLength > 0 && ids.Length > maxLength)
        {
            ids = ids[..maxLength];
            mask = mask[..maxLength];
            advantages = advantages?[..maxLength];
            stats.Truncated++;
        }

        var audit = MaskAudit.Audit(mask);
        if (audit.Flag == MaskAuditFlag.NoSupervisedTokens)
        {
            stats.DroppedNoSupervision++;
            return;
        }

        if (audit.Flag == MaskAuditFlag.AllSupervised)
        {
            stats.AllSupervised++;
        }

        writer.AppendEpisode(ids, mask, advantages, new EpisodeMetadata { Score = candidate.Score, GroupId = candidate.Group });
        stats.Episodes++;
        stats.Tokens += ids.Length;
        stats.Targets += ids.Length - 1;
        stats.SupervisedTargets += audit.SupervisedTargets;
        if (candidate.FromChat)
        {
            stats.ChatEpisodes++;
        }
        else
        {
            stats.AtroposEpisodes++;
        }
    }

    private static List<Candidate> ParseLine(string line, long lineNumber, PreparationOptions options, ChatRenderOptions renderOptions)
    {
        PreparationLineException Error(PreparationErrorKind kind, string reason) => new(options.InputPath, lineNumber, kind, reason);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new PreparationLineException(options.InputPath, lineNumber, PreparationErrorKind.InvalidJson,
                $"{e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]} (byte {e.BytePositionInLine + 1} of the line)", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(PreparationErrorKind.WrongType, $"a line must be a JSON object, found {Kind(root)}.");
            }

            // Atropos groups may carry their conversations in "messages" too, so "tokens" decides first.
            if (root.TryGetProperty("tokens", out var tokens))
            {
                return ParseAtropos(root, tokens, lineNumber, options.Tokenizer.VocabularySize, Error);
            }

            if (root.TryGetProperty("messages", out var messages))
            {
                return [ParseChat(messages, options, renderOptions, Error)];
            }

            throw Error(PreparationErrorKind.MissingField,
                "a line needs \"messages\" (a chat: [{\"role\": ..., \"content\": ...}]) or \"tokens\" and \"masks\" (Atropos scored data).");
        }
    }

    private static Candidate ParseChat(JsonElement messages, PreparationOptions options, ChatRenderOptions renderOptions, Func<PreparationErrorKind, string, PreparationLineException> error)
    {
        var list = ChatMessagesJson.Parse(messages, options.Template, error);
        var rendering = options.Template.Render(list, options.Tokenizer, renderOptions);
        return new Candidate(rendering.Ids, rendering.Mask, null, null, null, FromChat: true);
    }

    private static List<Candidate> ParseAtropos(JsonElement root, JsonElement tokens, long lineNumber, int vocabSize, Func<PreparationErrorKind, string, PreparationLineException> error)
    {
        if (tokens.ValueKind != JsonValueKind.Array)
        {
            throw error(PreparationErrorKind.WrongType, $"\"tokens\" must be an array of token-id arrays, found {Kind(tokens)}.");
        }

        if (!root.TryGetProperty("masks", out var masks) || masks.ValueKind == JsonValueKind.Null)
        {
            throw error(PreparationErrorKind.MissingField, "an Atropos line with \"tokens\" needs \"masks\" (the token id where trained, -100 elsewhere).");
        }

        if (masks.ValueKind != JsonValueKind.Array)
        {
            throw error(PreparationErrorKind.WrongType, $"\"masks\" must be an array of arrays, found {Kind(masks)}.");
        }

        if (!root.TryGetProperty("scores", out var scores) || scores.ValueKind == JsonValueKind.Null)
        {
            throw error(PreparationErrorKind.MissingField, "an Atropos line needs \"scores\" (one number per sequence).");
        }

        if (scores.ValueKind != JsonValueKind.Array)
        {
            throw error(PreparationErrorKind.WrongType, $"\"scores\" must be an array of numbers, found {Kind(scores)}.");
        }

        int count = tokens.GetArrayLength();
        if (count == 0)
        {
            throw error(PreparationErrorKind.InvalidValue, "\"tokens\" holds no sequence.");
        }

        if (masks.GetArrayLength() != count || scores.GetArrayLength() != count)
        {
            throw error(PreparationErrorKind.InvalidValue, $"\"tokens\" has {count} sequences but \"masks\" has {masks.GetArrayLength()} and \"scores\" {scores.GetArrayLength()}.");
        }

        JsonElement advantages = default;
        if (root.TryGetProperty("advantages", out var advantagesElement) && advantagesElement.ValueKind != JsonValueKind.Null)
        {
            if (advantagesElement.ValueKind != JsonValueKind.Array)
            {
                throw error(PreparationErrorKind.WrongType, $"\"advantages\" must be null or an array (per sequence: an array of numbers or one number), found {Kind(advantagesElement)}.");
            }

            if (advantagesElement.GetArrayLength() != count)
            {
                throw error(PreparationErrorKind.InvalidValue, $"\"tokens\" has {count} sequences but \"advantages\" has {advantagesElement.GetArrayLength()}.");
            }

            advantages = advantagesElement;
        }

        long group = lineNumber;
        if (root.TryGetProperty("group_id", out var groupElement) && groupElement.ValueKind != JsonValueKind.Null)
        {
            if (groupElement.ValueKind != JsonValueKind.Number || !groupElement.TryGetInt64(out group))
            {
                throw error(PreparationErrorKind.WrongType, $"\"group_id\" must be an integer, found {Kind(groupElement)} {groupElement.GetRawText()}.");
            }
        }

        var result = new List<Candidate>(count);
        for (int s = 0; s < count; s++)
        {
            var sequence = tokens[s];
            var sequenceMask = masks[s];
            var score = scores[s];
            if (sequence.ValueKind != JsonValueKind.Array)
            {
                throw error(PreparationErrorKind.WrongType, $"tokens[{s}] must be an array of token ids, found {Kind(sequence)}.");
            }

            if (sequenceMask.ValueKind != JsonValueKind.Array)
            {
                throw error(PreparationErrorKind.WrongType, $"masks[{s}] must be an array, found {Kind(sequenceMask)}.");
            }

            if (score.ValueKind != JsonValueKind.Number)
            {
                throw error(PreparationErrorKind.WrongType, $"scores[{s}] must be a number, found {Kind(score)}.");
            }

            int length = sequence.GetArrayLength();
            if (length == 0)
            {
                throw error(PreparationErrorKind.InvalidValue, $"tokens[{s}] is empty.");
            }

            if (sequenceMask.GetArrayLength() != length)
            {
                throw error(PreparationErrorKind.InvalidValue, $"masks[{s}] has {sequenceMask.GetArrayLength()} entries but tokens[{s}] has {length}.");
            }

            var ids = new int[length];
            var mask = new byte[length];
            int j = 0;
            foreach (var token in sequence.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.Number || !token.TryGetInt64(out long id))
                {
                    throw error(PreparationErrorKind.WrongType, $"tokens[{s}][{j}] must be an integer token id, found {Kind(token)} {Short(token)}.");
                }

                if (id < 0 || id >= vocabSize)
                {
                    throw error(PreparationErrorKind.InvalidValue, $"tokens[{s}][{j}] = {id} is outside the tokenizer's vocabulary [0, {vocabSize}). Hint: prepare with the tokenizer that produced these ids.");
                }

                ids[j++] = (int)id;
            }

            j = 0;
            foreach (var entry in sequenceMask.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Number || !entry.TryGetInt64(out long value))
                {
                    throw error(PreparationErrorKind.WrongType, $"masks[{s}][{j}] must be an integer, found {Kind(entry)} {Short(entry)}.");
                }

                if (value == -100)
                {
                    mask[j] = 0;
                }
                else if (value == ids[j])
                {
                    mask[j] = 1;
                }
                else
                {
                    throw error(PreparationErrorKind.InvalidValue, $"masks[{s}][{j}] = {value}; it must be -100 (not trained) or the token id {ids[j]} (trained).");
                }

                j++;
            }

            if (!score.TryGetDouble(out double value2) || !double.IsFinite(value2))
            {
                throw error(PreparationErrorKind.InvalidValue, $"scores[{s}] = {score.GetRawText()} is not finite.");
            }

            float[]? weights = advantages.ValueKind == JsonValueKind.Array ? Advantages(advantages[s], s, length, error) : null;
            result.Add(new Candidate(ids, mask, value2, group, weights, FromChat: false));
        }

        return result;
    }

    private static float[] Advantages(JsonElement element, int sequence, int length, Func<PreparationErrorKind, string, PreparationLineException> error)
    {
        static bool TryFinite(JsonElement value, out float result)
        {
            result = 0;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double d))
            {
                return false;
            }

            result = (float)d;
            return float.IsFinite(result);
        }

        var weights = new float[length];
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (!TryFinite(element, out float all))
            {
                throw error(PreparationErrorKind.InvalidValue, $"advantages[{sequence}] = {element.GetRawText()} is not a finite float.");
            }

            Array.Fill(weights, all);
            return weights;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw error(PreparationErrorKind.WrongType, $"advantages[{sequence}] must be an array of numbers or one number, found {Kind(element)}.");
        }

        if (element.GetArrayLength() != length)
        {
            throw error(PreparationErrorKind.InvalidValue, $"advantages[{sequence}] has {element.GetArrayLength()} entries but tokens[{sequence}] has {length}.");
        }

        int j = 0;
        foreach (var value in element.EnumerateArray())
        {
            if (!TryFinite(value, out weights[j]))
            {
                throw error(value.ValueKind == JsonValueKind.Number ? PreparationErrorKind.InvalidValue : PreparationErrorKind.WrongType,
                    $"advantages[{sequence}][{j}] must be a finite number, found {Kind(value)} {Short(value)}.");
            }

            j++;
        }

        return weights;
    }

    /// <summary>First pass: does any Atropos line carry non-null advantages? (Only lines that mention the field are parsed.)</summary>
    private static bool AnyAdvantages(string path, CancellationToken cancellationToken)
    {
        foreach (string line in File.ReadLines(path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!line.Contains("\"advantages\"", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("tokens", out _)
                    && root.TryGetProperty("advantages", out var advantages) && advantages.ValueKind != JsonValueKind.Null)
                {
                    return true;
                }
            }
            catch (JsonException)
            {
                // The main pass reports the line.
            }
        }

        return false;
    }

    private static string Kind(JsonElement element) => JsonKinds.Describe(element);

    private static string Short(JsonElement element)
    {
        string raw = element.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "...";
    }

    private sealed record Candidate(int[] Ids, byte[] Mask, double? Score, long? Group, float[]? Advantages, bool FromChat);
}
