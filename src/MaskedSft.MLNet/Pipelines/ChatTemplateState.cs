// Everything ApplyChatTemplate maps with: template, tokenizer, limits; parses a chat cell and renders it; saves to bytes.
using System.Text.Json;
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Tokenizers.Preparation;
using MaskedSft.MLNet.Tokenizers.Templates;
using Microsoft.ML.Tokenizers;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>The immutable state of a chat-template transform (thread-safe: the mapping runs on many cursors at once).</summary>
internal sealed class ChatTemplateState
{
    private const string SettingsEntry = "chat.json";
    private const string TemplateEntry = "template/";
    private const string TokenizerEntry = "tokenizer/";

    private ChatTemplateState(Tokenizer tokenizer, ChatTemplate template, string templateSpec, string? templateFile, ChatRenderOptions render, int maxLength, string inputColumn)
    {
        Tokenizer = tokenizer;
        Encoder = MlNetChatEncoder.For(tokenizer);
        Template = template;
        TemplateSpec = templateSpec;
        TemplateFile = templateFile;
        Render = render;
        MaxLength = maxLength;
        InputColumn = inputColumn;
    }

    public Tokenizer Tokenizer { get; }

    public IChatTokenEncoder Encoder { get; }

    public ChatTemplate Template { get; }

    /// <summary>The template as given: a built-in name or a file path.</summary>
    public string TemplateSpec { get; }

    /// <summary>The template file's path when the spec is a file.</summary>
    public string? TemplateFile { get; }

    public ChatRenderOptions Render { get; }

    /// <summary>Most tokens per row (0 = no limit).</summary>
    public int MaxLength { get; }

    /// <summary>The input column's name (for messages).</summary>
    public string InputColumn { get; }

    /// <summary>Builds the state of the options, checking the template against the tokenizer.</summary>
    public static ChatTemplateState Create(ChatTemplateEstimator.Options options)
    {
        var template = ChatTemplate.FromNameOrPath(options.Template);
        var state = new ChatTemplateState(options.Tokenizer!, template, options.Template, File.Exists(options.Template) ? Path.GetFullPath(options.Template) : null,
            new ChatRenderOptions { TrainOn = options.TrainOn, AllowSpecialTokensInContent = options.AllowSpecialTokensInContent }, options.MaxLength, options.InputColumnName);
        template.Validate(state.Encoder);
        return state;
    }

    /// <summary>Renders one cell: a chat as JSON (<c>{"messages": [...]}</c> or the array itself).</summary>
    /// <exception cref="InvalidDataException">The cell is empty, not JSON, or not a chat the template can render; the message
    /// names the column and shows the start of the value.</exception>
    public (int[] Tokens, bool[] LossMask) Map(string? cell)
    {
        if (string.IsNullOrWhiteSpace(cell))
        {
            throw Error(cell, "the value is empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(cell);
        }
        catch (JsonException e)
        {
            throw Error(cell, $"not valid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.')})");
        }

        using (document)
        {
            var root = document.RootElement;
            var messages = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var m) ? m : root;
            if (messages.ValueKind != JsonValueKind.Array)
            {
                throw Error(cell, $"expected {{\"messages\": [...]}} or an array of messages, found {JsonKinds.Describe(root)}");
            }

            var list = ChatMessagesJson.Parse(messages, Template, (_, reason) => Error(cell, reason.TrimEnd('.')));
            var rendering = Template.Render(list, Encoder, Render);
            if (MaxLength > 0)
            {
                rendering = rendering.Truncate(MaxLength);
            }

            var mask = new bool[rendering.Mask.Length];
            for (int i = 0; i < mask.Length; i++)
            {
                mask[i] = rendering.Mask[i] != 0;
            }

            return (rendering.Ids, mask);
        }
    }

    /// <summary>The state as bytes for a model file: settings, the template file when there is one, the tokenizer's files.</summary>
    /// <exception cref="NotSupportedException">The tokenizer is not a <see cref="HuggingFaceTokenizer"/> (ML.NET's
    /// tokenizers cannot be serialized).</exception>
    public byte[] ToBytes()
    {
        if (Tokenizer is not HuggingFaceTokenizer hf)
        {
            throw new NotSupportedException($"ApplyChatTemplate with a {Tokenizer.GetType().Name} cannot be saved: ML.NET's tokenizers expose no way to "
                + "serialize themselves, so the model file could not rebuild it. Hint: use HuggingFaceTokenizer.FromFile(tokenizer.json or a model folder); "
                + "its files are stored inside the model.");
        }

        var bundle = new StateBundle();
        var settings = new JsonObject
        {
            ["template"] = TemplateFile is null ? TemplateSpec : null,
            ["templateFile"] = TemplateFile is null ? null : Path.GetFileName(TemplateFile),
            ["tokenizerName"] = hf.Name,
            ["tokenizerFiles"] = new JsonArray([.. hf.SourceFiles.Select(f => (JsonNode)Path.GetFileName(f))]),
            ["maxLength"] = MaxLength,
            ["trainOn"] = Render.TrainOn.ToString(),
            ["allowSpecialTokensInContent"] = Render.AllowSpecialTokensInContent,
            ["inputColumn"] = InputColumn,
        };
        bundle.Add(SettingsEntry, JsonSerializer.SerializeToUtf8Bytes(settings));
        if (TemplateFile is not null)
        {
            bundle.Add(TemplateEntry + Path.GetFileName(TemplateFile), File.ReadAllBytes(TemplateFile));
        }

        foreach (string file in hf.SourceFiles)
        {
            bundle.Add(TokenizerEntry + Path.GetFileName(file), File.ReadAllBytes(file));
        }

        return bundle.ToBytes();
    }

    /// <summary>Rebuilds a state saved by <see cref="ToBytes"/> (the files go through a temporary folder named as the originals).</summary>
    public static ChatTemplateState FromBytes(byte[] bytes)
    {
        var bundle = StateBundle.FromBytes(bytes);
        var settings = JsonNode.Parse(bundle.Get(SettingsEntry))!.AsObject();
        string root = Path.Combine(Path.GetTempPath(), "maskedsft-state-" + Guid.NewGuid().ToString("N"));
        try
        {
            string folder = Path.Combine(root, (string)settings["tokenizerName"]!);
            Directory.CreateDirectory(folder);
            foreach (var name in settings["tokenizerFiles"]!.AsArray())
            {
                File.WriteAllBytes(Path.Combine(folder, (string)name!), bundle.Get(TokenizerEntry + (string)name!));
            }

            var tokenizer = HuggingFaceTokenizer.FromFile(Path.Combine(folder, (string)settings["tokenizerFiles"]![0]!));
            string spec = (string?)settings["template"] ?? Path.Combine(root, (string)settings["templateFile"]!);
            if (settings["templateFile"] is { } templateFile)
            {
                File.WriteAllBytes(spec, bundle.Get(TemplateEntry + (string)templateFile!));
            }

            var options = new ChatTemplateEstimator.Options
            {
                Tokenizer = tokenizer,
                Template = spec,
                MaxLength = (int)settings["maxLength"]!,
                TrainOn = Enum.Parse<AssistantTurns>((string)settings["trainOn"]!),
                AllowSpecialTokensInContent = (bool)settings["allowSpecialTokensInContent"]!,
                InputColumnName = (string)settings["inputColumn"]!,
            };
            return Create(options);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private InvalidDataException Error(string? cell, string reason)
    {
        string start = cell is null ? "null" : cell.Length <= 80 ? cell : cell[..80] + "...";
        return new InvalidDataException($"ApplyChatTemplate: column '{InputColumn}': {reason}. Value: {start} "
            + "Hint: each row holds one chat as JSON, {\"messages\": [{\"role\": ..., \"content\": ...}]} or just the array.");
    }
}
