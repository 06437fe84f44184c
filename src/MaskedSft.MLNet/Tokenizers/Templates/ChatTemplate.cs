// Chat templates (ChatML as Qwen uses it, Llama 3, user-defined JSON) that render conversations to tokens and a loss mask.
using System.Text.Json;

namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// Renders a conversation into token ids and a loss mask that is 1 exactly on the content tokens of (the chosen) assistant
/// turns and on the end-of-turn token that closes each of them, and 0 on system, user and tool content, role headers and
/// separators. The content and the end of turn of each trained turn are tokenized on their own, so the mask boundaries are
/// exact and the trained tokens are those the model produces at inference after its header; the untrained text between
/// them is tokenized as one text, exactly as tokenizing the whole rendered conversation would (as Hugging Face's
/// apply_chat_template followed by encode does).
/// </summary>
/// <remarks>
/// <para>Built-in templates:</para>
/// <list type="bullet">
/// <item><see cref="ChatMl"/> — as Qwen2.5/Qwen3 use it: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message;
/// consecutive tool results go into one user turn as <c>\n&lt;tool_response&gt;\ncontent\n&lt;/tool_response&gt;</c>.
/// Contents are verbatim (Qwen3's template additionally drops reasoning from earlier turns; this one does not).</item>
/// <item><see cref="Llama3"/> — <c>&lt;|begin_of_text|&gt;</c> then <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>
/// per message; the tool role is rendered as <c>ipython</c> (Llama 3.1); contents are not trimmed.</item>
/// </list>
/// <para>User-defined templates are JSON files (see <see cref="Load"/> and docs/chat-templates.md):</para>
/// <code>
/// {
///   "format": "maskedsft.chat-template/1",
///   "name": "zephyr",
///   "begin": "",
///   "end": "",
///   "required_tokens": ["&lt;/s&gt;"],
///   "roles": {
///     "system":    { "prefix": "&lt;|system|&gt;\n",    "end_of_turn": "&lt;/s&gt;", "separator": "\n" },
///     "user":      { "prefix": "&lt;|user|&gt;\n",      "end_of_turn": "&lt;/s&gt;", "separator": "\n" },
///     "assistant": { "prefix": "&lt;|assistant|&gt;\n", "end_of_turn": "&lt;/s&gt;", "separator": "\n" }
///   }
/// }
/// </code>
/// </remarks>
public sealed class ChatTemplate
{
    /// <summary>The value of the <c>format</c> field of template files.</summary>
    public const string FormatId = "maskedsft.chat-template/1";

    private static readonly HashSet<string> TopLevelFields = ["format", "name", "begin", "end", "required_tokens", "roles"];
    private static readonly HashSet<string> RoleFields = ["prefix", "end_of_turn", "separator", "group_open", "group_close"];

    private readonly Dictionary<string, ChatRoleFormat> _roles;

    /// <summary>Creates a template.</summary>
    /// <param name="name">Name shown in messages.</param>
    /// <param name="roles">Format of each role; must contain <see cref="ChatRoles.Assistant"/> with a non-empty end of turn.</param>
    /// <param name="begin">Text before the first message (never trained).</param>
    /// <param name="end">Text after the last message (never trained).</param>
    /// <param name="requiredTokens">Texts that must be added tokens of the tokenizer (checked by <see cref="Render"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ChatTemplateException">The assistant role is missing or has an empty end of turn.</exception>
    public ChatTemplate(string name, IReadOnlyDictionary<string, ChatRoleFormat> roles, string begin = "", string end = "", IReadOnlyList<string>? requiredTokens = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(end);
        if (!roles.TryGetValue(ChatRoles.Assistant, out var assistant))
        {
            throw new ChatTemplateException($"The chat template '{name}' has no '{ChatRoles.Assistant}' role; it is the role that is trained.");
        }

        if (assistant.EndOfTurn.Length == 0)
        {
            throw new ChatTemplateException($"The chat template '{name}' gives the '{ChatRoles.Assistant}' role an empty end_of_turn; "
                + "the model must learn to end its turns, so a non-empty end-of-turn text (e.g. <|im_end|>) is required.");
        }

        Name = name;
        _roles = new Dictionary<string, ChatRoleFormat>(roles, StringComparer.Ordinal);
        Begin = begin;
        End = end;
        RequiredTokens = requiredTokens ?? [];
    }

    /// <summary>ChatML as Qwen2.5 and Qwen3 use it (roles system, user, assistant, tool).</summary>
    public static ChatTemplate ChatMl { get; } = new(
        "chatml",
        new Dictionary<string, ChatRoleFormat>
        {
            [ChatRoles.System] = new("<|im_start|>system\n", "<|im_end|>", "\n"),
            [ChatRoles.User] = new("<|im_start|>user\n", "<|im_end|>", "\n"),
            [ChatRoles.Assistant] = new("<|im_start|>assistant\n", "<|im_end|>", "\n"),
            [ChatRoles.Tool] = new("\n<tool_response>\n", "\n</tool_response>", string.Empty, "<|im_start|>user", "<|im_end|>\n"),
        },
        requiredTokens: ["<|im_start|>", "<|im_end|>"]);

    /// <summary>The Llama 3 / 3.1 template (roles system, user, assistant, tool rendered as ipython).</summary>
    public static ChatTemplate Llama3 { get; } = new(
        "llama3",
        new Dictionary<string, ChatRoleFormat>
        {
            [ChatRoles.System] = new("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>"),
            [ChatRoles.User] = new("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"),
            [ChatRoles.Assistant] = new("<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"),
            [ChatRoles.Tool] = new("<|start_header_id|>ipython<|end_header_id|>\n\n", "<|eot_id|>"),
        },
        begin: "<|begin_of_text|>",
        requiredTokens: ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]);

    /// <summary>Name of the template.</summary>
    public string Name { get; }

    /// <summary>Text before the first message.</summary>
    public string Begin { get; }

    /// <summary>Text after the last message.</summary>
    public string End { get; }

    /// <summary>Texts that must be added tokens of the tokenizer.</summary>
    public IReadOnlyList<string> RequiredTokens { get; }

    /// <summary>The roles this template knows.</summary>
    public IReadOnlyCollection<string> Roles => _roles.Keys;

    /// <summary>The format of <paramref name="role"/>, or null when the template does not know it.</summary>
    /// <param name="role">Role name.</param>
    /// <returns>The format or null.</returns>
    public ChatRoleFormat? FormatOf(string role) => _roles.GetValueOrDefault(role);

    /// <summary>Resolves a <c>--template</c> argument: <c>chatml</c>, <c>llama3</c>, or the path of a template JSON file.</summary>
    /// <param name="nameOrPath">Built-in name or file path.</param>
    /// <returns>The template.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="nameOrPath"/> is null.</exception>
    /// <exception cref="FileNotFoundException">It is neither a built-in name nor an existing file.</exception>
    /// <exception cref="ChatTemplateException">The file is not a valid template.</exception>
    public static ChatTemplate FromNameOrPath(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        switch (nameOrPath.ToLowerInvariant())
        {
            case "chatml":
            case "qwen":
                return ChatMl;
            case "llama3":
                return Llama3;
        }

        if (!File.Exists(nameOrPath))
        {
            throw new FileNotFoundException($"'{nameOrPath}' is neither a built-in chat template (chatml, llama3) nor an existing template file "
                + $"(a JSON file with \"format\": \"{FormatId}\"; see docs/chat-templates.md).", nameOrPath);
        }

        return Load(nameOrPath);
    }

    /// <summary>
    /// Loads a user-defined template from a JSON file with the fields <c>format</c> (must be
    /// <c>maskedsft.chat-template/1</c>), <c>name</c>, optional <c>begin</c>, <c>end</c>, <c>required_tokens</c> (array of
    /// strings) and <c>roles</c>: an object from role name to <c>{prefix, end_of_turn, separator?, group_open?, group_close?}</c>
    /// (strings). Unknown fields are refused so that typos do not go unnoticed.
    /// </summary>
    /// <param name="path">Template file.</param>
    /// <returns>The template.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ChatTemplateException">The file is not a valid template; the message names the JSON path.</exception>
    public static ChatTemplate Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The chat template file '{path}' was not found.", path);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ChatTemplateException($"Chat template '{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message.Split(" Path:")[0]}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            ChatTemplateException Error(string at, string problem) =>
                new($"Chat template '{path}' at {at}: {problem} See docs/chat-templates.md for the format.");

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error("$", "expected an object.");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (!TopLevelFields.Contains(property.Name))
                {
                    throw Error("$." + property.Name, $"unknown field; the fields are {string.Join(", ", TopLevelFields)}.");
                }
            }

            string String(JsonElement parent, string at, string field, bool required)
            {
                if (!parent.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    return required ? throw Error($"{at}.{field}", "the field is missing.") : string.Empty;
                }

                return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Error($"{at}.{field}", $"expected a string, found {value.ValueKind}.");
            }

            string format = String(root, "$", "format", required: true);
            if (format != FormatId)
            {
                throw Error("$.format", $"expected \"{FormatId}\", found \"{format}\".");
            }

            string name = String(root, "$", "name", required: false);
            if (name.Length == 0)
            {
                name = Path.GetFileNameWithoutExtension(path);
            }

            var required = new List<string>();
            if (root.TryGetProperty("required_tokens", out var tokens) && tokens.ValueKind != JsonValueKind.Null)
            {
                if (tokens.ValueKind != JsonValueKind.Array)
                {
                    throw Error("$.required_tokens", "expected an array of strings.");
                }

                int k = 0;
                foreach (var token in tokens.EnumerateArray())
                {
                    required.Add(token.ValueKind == JsonValueKind.String && token.GetString()!.Length > 0
                        ? token.GetString()!
                        : throw Error($"$.required_tokens[{k}]", "expected a non-empty string."));
                    k++;
                }
            }

            if (!root.TryGetProperty("roles", out var rolesElement) || rolesElement.ValueKind != JsonValueKind.Object)
            {
                throw Error("$.roles", "expected an object from role name to {prefix, end_of_turn, separator, group_open, group_close}.");
            }

            var roles = new Dictionary<string, ChatRoleFormat>(StringComparer.Ordinal);
            foreach (var role in rolesElement.EnumerateObject())
            {
                string at = $"$.roles.{role.Name}";
                if (role.Value.ValueKind != JsonValueKind.Object)
                {
                    throw Error(at, "expected an object.");
                }

                foreach (var field in role.Value.EnumerateObject())
                {
                    if (!RoleFields.Contains(field.Name))
                    {
                        throw Error($"{at}.{field.Name}", $"unknown field; the fields of a role are {string.Join(", ", RoleFields)}.");
                    }
                }

                roles[role.Name] = new ChatRoleFormat(
                    String(role.Value, at, "prefix", required: true),
                    String(role.Value, at, "end_of_turn", required: true),
                    String(role.Value, at, "separator", required: false),
                    String(role.Value, at, "group_open", required: false),
                    String(role.Value, at, "group_close", required: false));
            }

            try
            {
                return new ChatTemplate(name, roles, String(root, "$", "begin", required: false), String(root, "$", "end", required: false), required);
            }
            catch (ChatTemplateException e)
            {
                throw Error("$.roles", e.Message);
            }
        }
    }

    /// <summary>Checks that <paramref name="tokenizer"/> has every token of <see cref="RequiredTokens"/> as an added token.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokenizer"/> is null.</exception>
    /// <exception cref="ChatTemplateException">A required token is missing.</exception>
    public void Validate(IChatTokenEncoder tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        foreach (string token in RequiredTokens)
        {
            if (!tokenizer.HasAddedToken(token))
            {
                throw new ChatTemplateException($"The chat template '{Name}' needs the token '{token}', which the tokenizer '{tokenizer.Name}' "
                    + "does not have as an added token, so it would be split into ordinary text. Use the template made for this tokenizer "
                    + "(e.g. chatml for Qwen, llama3 for Llama 3) or a template file whose required_tokens the tokenizer has.");
            }
        }
    }

    /// <summary>Renders <paramref name="messages"/> into token ids and a loss mask.</summary>
    /// <param name="messages">The conversation, in order.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="options">Options; null for <see cref="ChatRenderOptions.Default"/>.</param>
    /// <returns>Ids, mask and spans.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> or <paramref name="tokenizer"/> is null, or a message is.</exception>
    /// <exception cref="ChatTemplateException">A message has a role the template does not know, or the tokenizer lacks a required token.</exception>
    public ChatRendering Render(IReadOnlyList<ChatMessage> messages, IChatTokenEncoder tokenizer, ChatRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= ChatRenderOptions.Default;
        Validate(tokenizer);

        int lastAssistant = -1;
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentNullException(nameof(messages), $"Message {i} is null.");
            if (!_roles.ContainsKey(message.Role))
            {
                throw new ChatTemplateException($"Message {i} has the role '{message.Role}', which the chat template '{Name}' does not know "
                    + $"(it knows {string.Join(", ", _roles.Keys.Select(r => $"'{r}'"))}).");
            }

            if (message.Role == ChatRoles.Assistant)
            {
                lastAssistant = i;
            }
        }

        // The conversation as a list of parts; untrained parts next to each other are tokenized together (as the whole
        // rendered text would be), trained parts each on their own so that the mask boundaries are exact.
        var parts = new List<(string Text, bool AllowSpecial, ChatSpanKind Kind, int Message)>();
        void Add(string text, bool allowSpecial, ChatSpanKind kind = ChatSpanKind.Context, int message = -1)
        {
            if (text.Length > 0)
            {
                parts.Add((text, allowSpecial, kind, message));
            }
        }

        Add(Begin, true);
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var format = _roles[message.Role];
            bool firstOfRun = i == 0 || messages[i - 1].Role != message.Role;
            bool lastOfRun = i == messages.Count - 1 || messages[i + 1].Role != message.Role;
            bool trained = message.Role == ChatRoles.Assistant && (options.TrainOn == AssistantTurns.All || i == lastAssistant);
            string content = message.Content ?? throw new ArgumentNullException(nameof(messages), $"Message {i} has no content.");

            if (firstOfRun)
            {
                Add(format.GroupOpen, true);
            }

            Add(format.Prefix, true);
            Add(content, options.AllowSpecialTokensInContent, trained ? ChatSpanKind.Content : ChatSpanKind.Context, trained ? i : -1);
            Add(format.EndOfTurn, true, trained ? ChatSpanKind.EndOfTurn : ChatSpanKind.Context, trained ? i : -1);
            Add(format.Separator, true);
            if (lastOfRun)
            {
                Add(format.GroupClose, true);
            }
        }

        Add(End, true);

        var ids = new List<int>();
        var mask = new List<byte>();
        var spans = new List<ChatSpan>();
        var context = new List<(string Text, bool AllowSpecial)>();
        void Record(int start, ChatSpanKind kind, int message)
        {
            int length = ids.Count - start;
            byte bit = kind == ChatSpanKind.Context ? (byte)0 : (byte)1;
            for (int k = 0; k < length; k++)
            {
                mask.Add(bit);
            }

            if (length > 0)
            {
                spans.Add(new ChatSpan(start, length, message, kind));
            }
        }

        void FlushContext()
        {
            if (context.Count > 0)
            {
                int start = ids.Count;
                tokenizer.EncodePartsToIds(context, ids);
                context.Clear();
                Record(start, ChatSpanKind.Context, -1);
            }
        }

        foreach (var part in parts)
        {
            if (part.Kind == ChatSpanKind.Context)
            {
                context.Add((part.Text, part.AllowSpecial));
                continue;
            }

            FlushContext();
            int start = ids.Count;
            tokenizer.EncodeToIds(part.Text, ids, part.AllowSpecial);
            Record(start, part.Kind, part.Message);
        }

        FlushContext();
        return new ChatRendering([.. ids], [.. mask], spans);
    }
}
