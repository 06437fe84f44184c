// Reads a Hugging Face tokenizer.json (byte-level BPE) and the tokenizer_config.json beside it.
using System.Security.Cryptography;
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Parses tokenizer.json into a <see cref="TokenizerDefinition"/>. Supported: model BPE (no dropout, no
/// continuing-subword prefix or end-of-word suffix, no byte fallback), normalizer null or NFC, pre-tokenizer ByteLevel with
/// the GPT-2 regex or a Sequence of Split (the Qwen2 or Llama 3 regex, Isolated) and ByteLevel without regex, decoder
/// ByteLevel. Anything else is refused with a <see cref="TokenizerFormatException"/> naming the JSON path.
/// </summary>
internal static class HuggingFaceTokenizerReader
{
    /// <summary>Reads <paramref name="path"/> (and tokenizer_config.json in the same folder, when present).</summary>
    public static TokenizerDefinition Read(string path)
    {
        byte[] bytes = TokenizerFileReading.ReadAllBytes(path, "tokenizer.json");
        using var document = TokenizerFileReading.ParseJson(path, bytes);
        var root = document.RootElement;
        var reader = new JsonFieldReader(path);
        reader.ExpectKind(root, "$", JsonValueKind.Object);

        var model = reader.Required(root, "$", "model", JsonValueKind.Object);
        string modelType = reader.OptionalString(model, "$.model", "type") ?? "BPE";
        if (modelType != "BPE")
        {
            throw reader.Error("$.model.type", $"the model type is '{modelType}'; only byte-level 'BPE' models are supported.");
        }

        if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
        {
            throw reader.Error("$.model.dropout", "BPE dropout is not supported (encoding would not be deterministic).");
        }

        foreach (var name in (ReadOnlySpan<string>)["continuing_subword_prefix", "end_of_word_suffix"])
        {
            string? value = reader.OptionalString(model, "$.model", name);
            if (!string.IsNullOrEmpty(value))
            {
                throw reader.Error($"$.model.{name}", $"'{value}' is not supported; byte-level BPE models have none.");
            }
        }

        if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
        {
            throw reader.Error("$.model.byte_fallback", "byte fallback (SentencePiece-style BPE) is not supported; this tokenizer is byte-level.");
        }

        bool ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;

        var vocabElement = reader.Required(model, "$.model", "vocab", JsonValueKind.Object);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
            {
                throw reader.Error($"$.model.vocab[{JsonSerializer.Serialize(entry.Name)}]", $"the id must be a non-negative integer, found {entry.Value.ValueKind} {Truncate(entry.Value.GetRawText())}.");
            }

            vocab[entry.Name] = id;
        }

        var mergesElement = reader.Required(model, "$.model", "merges", JsonValueKind.Array);
        var merges = new List<(int, int, int)>(mergesElement.GetArrayLength());
        int index = 0;
        foreach (var merge in mergesElement.EnumerateArray())
        {
            string location = $"$.model.merges[{index}]";
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string line = merge.GetString()!;
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                {
                    throw reader.Error(location, $"a merge must be two tokens separated by one space, found {JsonSerializer.Serialize(line)}.");
                }

                left = line[..space];
                right = line[(space + 1)..];
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                left = merge[0].GetString()!;
                right = merge[1].GetString()!;
            }
            else
            {
                throw reader.Error(location, $"a merge must be \"left right\" or [\"left\", \"right\"], found {Truncate(merge.GetRawText())}.");
            }

            merges.Add(TokenizerFileReading.ResolveMerge(vocab, left, right, () => reader.Error(location, string.Empty)));
            index++;
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedElement) && addedElement.ValueKind != JsonValueKind.Null)
        {
            reader.ExpectKind(addedElement, "$.added_tokens", JsonValueKind.Array);
            int k = 0;
            foreach (var token in addedElement.EnumerateArray())
            {
                string location = $"$.added_tokens[{k++}]";
                reader.ExpectKind(token, location, JsonValueKind.Object);
                var idElement = reader.Required(token, location, "id", JsonValueKind.Number);
                if (!idElement.TryGetInt32(out int id) || id < 0)
                {
                    throw reader.Error(location + ".id", $"the id must be a non-negative integer, found {idElement.GetRawText()}.");
                }

                string content = reader.Required(token, location, "content", JsonValueKind.String).GetString()!;
                if (content.Length == 0)
                {
                    throw reader.Error(location + ".content", "an added token cannot be empty.");
                }

                added.Add(new AddedToken(
                    id,
                    content,
                    reader.OptionalBool(token, location, "special"),
                    reader.OptionalBool(token, location, "normalized"),
                    reader.OptionalBool(token, location, "lstrip"),
                    reader.OptionalBool(token, location, "rstrip"),
                    reader.OptionalBool(token, location, "single_word")));
            }
        }

        bool nfc = ReadNormalizer(reader, root);
        var (pattern, addPrefixSpace) = ReadPreTokenizer(reader, root);
        ReadDecoder(reader, root);
        var (prefix, suffix) = ReadPostProcessor(reader, root);

        string? configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        string? eos = null, bos = null, pad = null;
        if (File.Exists(configPath))
        {
            (eos, bos, pad) = ReadConfig(configPath);
        }
        else
        {
            configPath = null;
        }

        return new TokenizerDefinition
        {
            Name = TokenizerFileReading.NameOf(path),
            Fingerprint = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)),
            SourceFile = path,
            Vocab = vocab,
            Merges = merges,
            IgnoreMerges = ignoreMerges,
            AddedTokens = added,
            NormalizeNfc = nfc,
            Pattern = pattern,
            AddPrefixSpace = addPrefixSpace,
            EosToken = eos,
            BosToken = bos,
            PadToken = pad,
            ConfigFile = configPath,
            SpecialPrefixIds = prefix,
            SpecialSuffixIds = suffix,
        };
    }

    /// <summary>
    /// The ids the post-processor adds around a single text (transformers' <c>add_special_tokens=True</c>): none for ByteLevel,
    /// the special tokens before and after sequence A of a TemplateProcessing's <c>single</c>, alone or in a Sequence.
    /// </summary>
    private static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonFieldReader reader, JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var processor) || processor.ValueKind == JsonValueKind.Null)
        {
            return ([], []);
        }

        const string P = "$.post_processor";
        reader.ExpectKind(processor, P, JsonValueKind.Object);
        string type = reader.Required(processor, P, "type", JsonValueKind.String).GetString()!;
        var templates = new List<(JsonElement Element, string Location)>();
        if (type == "Sequence")
        {
            int k = 0;
            foreach (var item in reader.Required(processor, P, "processors", JsonValueKind.Array).EnumerateArray())
            {
                string at = $"{P}.processors[{k++}]";
                reader.ExpectKind(item, at, JsonValueKind.Object);
                string itemType = reader.Required(item, at, "type", JsonValueKind.String).GetString()!;
                if (itemType == "TemplateProcessing")
                {
                    templates.Add((item, at));
                }
                else if (itemType != "ByteLevel")
                {
                    throw reader.Error(at + ".type", $"the post-processor '{itemType}' is not supported; expected ByteLevel or TemplateProcessing.");
                }
            }
        }
        else if (type == "TemplateProcessing")
        {
            templates.Add((processor, P));
        }
        else if (type != "ByteLevel")
        {
            throw reader.Error(P + ".type", $"the post-processor '{type}' is not supported; expected ByteLevel, TemplateProcessing or a Sequence of them.");
        }

        if (templates.Count > 1)
        {
            throw reader.Error(P, "more than one TemplateProcessing is not supported.");
        }

        return templates.Count == 0 ? ([], []) : ReadTemplateProcessing(reader, templates[0].Element, templates[0].Location);
    }

    private static (int[] Prefix, int[] Suffix) ReadTemplateProcessing(JsonFieldReader reader, JsonElement template, string location)
    {
        var specials = reader.Required(template, location, "special_tokens", JsonValueKind.Object);
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        int k = 0;
        foreach (var piece in reader.Required(template, location, "single", JsonValueKind.Array).EnumerateArray())
        {
            string at = $"{location}.single[{k++}]";
            if (piece.TryGetProperty("Sequence", out _))
            {
                if (seenSequence)
                {
                    throw reader.Error(at, "a single-text template with two sequences is not supported.");
                }

                seenSequence = true;
                continue;
            }

            var special = reader.Required(piece, at, "SpecialToken", JsonValueKind.Object);
            string id = reader.Required(special, at + ".SpecialToken", "id", JsonValueKind.String).GetString()!;
            if (!specials.TryGetProperty(id, out var entry))
            {
                throw reader.Error(at, $"the special token '{id}' is not in {location}.special_tokens.");
            }

            foreach (var value in reader.Required(entry, $"{location}.special_tokens[\"{id}\"]", "ids", JsonValueKind.Array).EnumerateArray())
            {
                if (!value.TryGetInt32(out int tokenId) || tokenId < 0)
                {
                    throw reader.Error($"{location}.special_tokens[\"{id}\"].ids", $"expected token ids, found {value.GetRawText()}.");
                }

                (seenSequence ? suffix : prefix).Add(tokenId);
            }
        }

        if (!seenSequence)
        {
            throw reader.Error(location + ".single", "the template has no Sequence (the text itself).");
        }

        return ([.. prefix], [.. suffix]);
    }

    private static bool ReadNormalizer(JsonFieldReader reader, JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        reader.ExpectKind(normalizer, "$.normalizer", JsonValueKind.Object);
        string type = reader.Required(normalizer, "$.normalizer", "type", JsonValueKind.String).GetString()!;
        if (type == "NFC")
        {
            return true;
        }

        if (type == "Sequence")
        {
            var items = reader.Required(normalizer, "$.normalizer", "normalizers", JsonValueKind.Array);
            if (items.GetArrayLength() == 0)
            {
                return false;
            }

            if (items.GetArrayLength() == 1 && items[0].ValueKind == JsonValueKind.Object
                && items[0].TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "NFC")
            {
                return true;
            }
        }

        throw reader.Error("$.normalizer", $"the normalizer '{type}' is not supported; only none or NFC.");
    }

    private static (SplitPattern Pattern, bool AddPrefixSpace) ReadPreTokenizer(JsonFieldReader reader, JsonElement root)
    {
        const string P = "$.pre_tokenizer";
        var pre = reader.Required(root, "$", "pre_tokenizer", JsonValueKind.Object);
        string type = reader.Required(pre, P, "type", JsonValueKind.String).GetString()!;
        if (type == "ByteLevel")
        {
            bool useRegex = !pre.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
            if (!useRegex)
            {
                throw reader.Error(P + ".use_regex", "a ByteLevel pre-tokenizer without its regex and without a Split before it is not supported.");
            }

            return (SplitPattern.Gpt2, reader.OptionalBool(pre, P, "add_prefix_space"));
        }

        if (type != "Sequence")
        {
            throw reader.Error(P + ".type", $"the pre-tokenizer '{type}' is not supported; expected ByteLevel or Sequence[Split, ByteLevel].");
        }

        var items = reader.Required(pre, P, "pretokenizers", JsonValueKind.Array);
        if (items.GetArrayLength() != 2)
        {
            throw reader.Error(P + ".pretokenizers", $"expected [Split, ByteLevel], found {items.GetArrayLength()} pre-tokenizers.");
        }

        var split = items[0];
        reader.ExpectKind(split, P + ".pretokenizers[0]", JsonValueKind.Object);
        string splitType = reader.Required(split, P + ".pretokenizers[0]", "type", JsonValueKind.String).GetString()!;
        if (splitType != "Split")
        {
            throw reader.Error(P + ".pretokenizers[0].type", $"expected 'Split', found '{splitType}'.");
        }

        var patternElement = reader.Required(split, P + ".pretokenizers[0]", "pattern", JsonValueKind.Object);
        string? regex = patternElement.TryGetProperty("Regex", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        if (regex is null || !RegexPreTokenizer.TryRecognize(regex, out var pattern))
        {
            throw reader.Error(P + ".pretokenizers[0].pattern", $"the split regex {Truncate(patternElement.GetRawText())} is not one of the supported "
                + "patterns (GPT-2, Qwen2/Qwen3, Llama 3); each is implemented as an exact scanner.");
        }

        string behavior = reader.OptionalString(split, P + ".pretokenizers[0]", "behavior") ?? "Isolated";
        if (behavior != "Isolated" || reader.OptionalBool(split, P + ".pretokenizers[0]", "invert"))
        {
            throw reader.Error(P + ".pretokenizers[0]", $"only behavior 'Isolated' without invert is supported, found '{behavior}'.");
        }

        var byteLevel = items[1];
        reader.ExpectKind(byteLevel, P + ".pretokenizers[1]", JsonValueKind.Object);
        string blType = reader.Required(byteLevel, P + ".pretokenizers[1]", "type", JsonValueKind.String).GetString()!;
        if (blType != "ByteLevel")
        {
            throw reader.Error(P + ".pretokenizers[1].type", $"expected 'ByteLevel', found '{blType}'.");
        }

        if (byteLevel.TryGetProperty("use_regex", out var blRegex) && blRegex.ValueKind == JsonValueKind.True)
        {
            throw reader.Error(P + ".pretokenizers[1].use_regex", "a ByteLevel regex after a Split is not supported.");
        }

        if (reader.OptionalBool(byteLevel, P + ".pretokenizers[1]", "add_prefix_space"))
        {
            throw reader.Error(P + ".pretokenizers[1].add_prefix_space", "add_prefix_space after a Split is not supported.");
        }

        return (pattern, false);
    }

    private static void ReadDecoder(JsonFieldReader reader, JsonElement root)
    {
        if (!root.TryGetProperty("decoder", out var decoder) || decoder.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        reader.ExpectKind(decoder, "$.decoder", JsonValueKind.Object);
        string type = reader.Required(decoder, "$.decoder", "type", JsonValueKind.String).GetString()!;
        if (type != "ByteLevel")
        {
            throw reader.Error("$.decoder.type", $"the decoder '{type}' is not supported; expected ByteLevel.");
        }
    }

    private static (string? Eos, string? Bos, string? Pad) ReadConfig(string path)
    {
        byte[] bytes = TokenizerFileReading.ReadAllBytes(path, "tokenizer_config.json");
        using var document = TokenizerFileReading.ParseJson(path, bytes);
        var reader = new JsonFieldReader(path);
        reader.ExpectKind(document.RootElement, "$", JsonValueKind.Object);
        return (TokenName(reader, document.RootElement, "eos_token"), TokenName(reader, document.RootElement, "bos_token"),
            TokenName(reader, document.RootElement, "pad_token"));
    }

    private static string? TokenName(JsonFieldReader reader, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => reader.Required(value, "$." + name, "content", JsonValueKind.String).GetString(),
            _ => throw reader.Error("$." + name, $"expected a token string or {{\"content\": ...}}, found {value.ValueKind}."),
        };
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
