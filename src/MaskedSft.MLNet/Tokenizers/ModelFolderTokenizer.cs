// The tokenizer, chat template and end-of-sequence ids of a Hugging Face model folder.
using System.Text.Json;
using MaskedSft.MLNet.Tokenizers.Templates;

namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// What a Hugging Face model folder says about tokenizing and chatting: <c>tokenizer.json</c> (the <see cref="BpeTokenizer"/>),
/// <c>tokenizer_config.json</c> (bos/eos/pad tokens, <c>added_tokens_decoder</c> checked against tokenizer.json, and the
/// Jinja <c>chat_template</c>, unless <c>chat_template.jinja</c> overrides it as transformers does), and
/// <c>generation_config.json</c> (the eos ids that stop generation; else <c>config.json</c>'s, else the tokenizer's eos).
/// The chat template text is recognised by <see cref="ChatTemplateRecognizer"/>; <see cref="RequireChatTemplate"/> gives
/// it or explains why not.
/// </summary>
public sealed class ModelFolderTokenizer
{
    /// <summary>The file with special tokens and the chat template.</summary>
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>The file that, when present, holds the chat template instead of tokenizer_config.json (transformers 4.43+).</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    /// <summary>The file with generation defaults (eos ids).</summary>
    public const string GenerationConfigFileName = "generation_config.json";

    private readonly ChatTemplate? _template;
    private readonly ChatTemplateException? _templateError;

    private ModelFolderTokenizer(string directory, BpeTokenizer tokenizer, string? templateText, string? templateSource, IReadOnlyList<int> eosIds)
    {
        Directory = directory;
        Tokenizer = tokenizer;
        ChatTemplateText = templateText;
        ChatTemplateSource = templateSource;
        EndOfSequenceIds = eosIds;
        if (templateText is not null)
        {
            try
            {
                _template = ChatTemplateRecognizer.Recognize(templateText, templateSource!);
            }
            catch (ChatTemplateException e)
            {
                _templateError = e;
            }
        }
    }

    /// <summary>The model folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The tokenizer of tokenizer.json (its bos/eos/pad come from tokenizer_config.json).</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>The Jinja chat template text, or null when the folder has none.</summary>
    public string? ChatTemplateText { get; }

    /// <summary>Where <see cref="ChatTemplateText"/> comes from (a file, and the field for tokenizer_config.json), or null.</summary>
    public string? ChatTemplateSource { get; }

    /// <summary>The recognised chat template, or null when the folder has none or it was not recognised (see <see cref="RequireChatTemplate"/>).</summary>
    public ChatTemplate? ChatTemplate => _template;

    /// <summary>
    /// The ids that end generation, in the folder's order: generation_config.json's <c>eos_token_id</c> (an id or a list),
    /// else config.json's, else the tokenizer's eos token; empty when none is named.
    /// </summary>
    public IReadOnlyList<int> EndOfSequenceIds { get; }

    /// <summary>Whether <paramref name="directory"/> is a folder with a chat template (chat_template.jinja, or a chat_template in tokenizer_config.json).</summary>
    /// <param name="directory">A path.</param>
    /// <returns>True for a folder that names a chat template.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="TokenizerFormatException">tokenizer_config.json is not valid JSON or its chat_template has the wrong type.</exception>
    public static bool HasChatTemplate(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return System.IO.Directory.Exists(directory) && ReadTemplate(Path.GetFullPath(directory)).Text is not null;
    }

    /// <summary>Loads the tokenizer files of a model folder.</summary>
    /// <param name="directory">The model folder (with tokenizer.json).</param>
    /// <returns>The tokenizer, template text and eos ids; an unrecognised template is reported by <see cref="RequireChatTemplate"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has no tokenizer.json.</exception>
    /// <exception cref="TokenizerFormatException">A file is malformed, added_tokens_decoder disagrees with tokenizer.json, or an eos id is not a token.</exception>
    public static ModelFolderTokenizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var folder = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        var tokenizerJson = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(tokenizerJson))
        {
            throw new FileNotFoundException($"The model folder '{folder}' has no tokenizer.json (maskedsft reads byte-level BPE tokenizers from "
                + "tokenizer.json; folders with only tokenizer.model/vocab files are not supported).", tokenizerJson);
        }

        var tokenizer = BpeTokenizer.FromTokenizerJson(tokenizerJson);
        CheckAddedTokensDecoder(folder, tokenizer);
        var (text, source) = ReadTemplate(folder);
        return new ModelFolderTokenizer(folder, tokenizer, text, source, ReadEndOfSequenceIds(folder, tokenizer));
    }

    /// <summary>The recognised chat template.</summary>
    /// <returns>The template that renders exactly like the folder's Jinja template.</returns>
    /// <exception cref="ChatTemplateException">The folder has no chat template, or one that is not recognised; the message names the
    /// file and how to pass <c>--template</c>.</exception>
    public ChatTemplate RequireChatTemplate()
    {
        if (_template is not null)
        {
            return _template;
        }

        throw _templateError ?? new ChatTemplateException(
            $"The model folder '{Directory}' has no chat template (neither {ChatTemplateFileName} nor a chat_template in {TokenizerConfigFileName}). "
            + $"Hint: pass --template NAME ({Templates.ChatTemplate.BuiltInNames}) or a template JSON file (docs/chat-templates.md).");
    }

    private static (string? Text, string? Source) ReadTemplate(string folder)
    {
        var jinja = Path.Combine(folder, ChatTemplateFileName);
        if (File.Exists(jinja))
        {
            return (File.ReadAllText(jinja), jinja);
        }

        var configPath = Path.Combine(folder, TokenizerConfigFileName);
        if (!File.Exists(configPath))
        {
            return (null, null);
        }

        using var document = TokenizerFileReading.ParseJson(configPath, File.ReadAllBytes(configPath));
        if (!document.RootElement.TryGetProperty("chat_template", out var template) || template.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        var source = $"{configPath} (chat_template)";
        if (template.ValueKind == JsonValueKind.String)
        {
            return (template.GetString(), source);
        }

        if (template.ValueKind == JsonValueKind.Array)
        {
            // Named templates: [{"name": "default", "template": "..."}, {"name": "tool_use", ...}]; transformers uses "default".
            int index = 0;
            foreach (var entry in template.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                    && name.GetString() == "default" && entry.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    return (text.GetString(), $"{configPath} (chat_template[{index}], \"default\")");
                }

                index++;
            }

            throw new TokenizerFormatException(configPath, "$.chat_template", "the list of named chat templates has no {\"name\": \"default\", \"template\": ...} entry.");
        }

        throw new TokenizerFormatException(configPath, "$.chat_template", $"expected a Jinja string or a list of named templates, found {template.ValueKind}.");
    }

    private static void CheckAddedTokensDecoder(string folder, BpeTokenizer tokenizer)
    {
        var configPath = Path.Combine(folder, TokenizerConfigFileName);
        if (!File.Exists(configPath))
        {
            return;
        }

        using var document = TokenizerFileReading.ParseJson(configPath, File.ReadAllBytes(configPath));
        if (!document.RootElement.TryGetProperty("added_tokens_decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var reader = new JsonFieldReader(configPath);
        foreach (var entry in decoder.EnumerateObject())
        {
            string at = $"$.added_tokens_decoder[\"{entry.Name}\"]";
            if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
            {
                throw reader.Error(at, "the key must be a token id.");
            }

            reader.ExpectKind(entry.Value, at, JsonValueKind.Object);
            string content = reader.Required(entry.Value, at, "content", JsonValueKind.String).GetString()!;
            string? actual = tokenizer.IdToToken(id);
            if (actual != content)
            {
                throw reader.Error(at, $"tokenizer_config.json names id {id} '{content}' but tokenizer.json has "
                    + (actual is null ? "no token with that id" : $"'{actual}'") + "; the two files come from different tokenizers.");
            }
        }
    }

    private static IReadOnlyList<int> ReadEndOfSequenceIds(string folder, BpeTokenizer tokenizer)
    {
        foreach (var file in new[] { GenerationConfigFileName, "config.json" })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                continue;
            }

            using var document = TokenizerFileReading.ParseJson(path, File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFormatException(path, "the file", $"expected a JSON object, found {JsonKinds.Describe(document.RootElement)}.");
            }

            if (!document.RootElement.TryGetProperty("eos_token_id", out var eos) || eos.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var reader = new JsonFieldReader(path);
            var ids = new List<int>();
            foreach (var element in eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().ToArray() : [eos])
            {
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int id) || tokenizer.IdToToken(id) is null)
                {
                    throw reader.Error("$.eos_token_id", $"{element.GetRawText()} is not a token id of the tokenizer (it has {tokenizer.VocabularySize} ids).");
                }

                ids.Add(id);
            }

            return ids;
        }

        return tokenizer.EndOfSequenceId is { } tokenizerEos ? [tokenizerEos] : [];
    }
}
