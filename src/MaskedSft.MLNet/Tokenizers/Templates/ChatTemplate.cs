// Chat templates (ChatML as Qwen uses it, Llama 3, user-defined JSON) that render conversations to tokens and a loss mask.
using System.Globalization;
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
    /// <param name="rules">What the template does beyond wrapping messages (default system turn, reasoning...); null for none.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ChatTemplateException">The assistant role is missing or has an empty end of turn.</exception>
    public ChatTemplate(string name, IReadOnlyDictionary<string, ChatRoleFormat> roles, string begin = "", string end = "", IReadOnlyList<string>? requiredTokens = null,
        ChatTemplateRules? rules = null)
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
        Rules = rules ?? ChatTemplateRules.None;
        if (Rules.DefaultSystemMessage is not null && !_roles.ContainsKey(ChatRoles.System))
        {
            throw new ChatTemplateException($"The chat template '{name}' has a default system message but no '{ChatRoles.System}' role.");
        }
    }

    /// <summary>ChatML as Qwen2.5 and Qwen3 use it (roles system, user, assistant, tool).</summary>
    public static ChatTemplate ChatMl { get; } = new("chatml", ChatMlRoles(), requiredTokens: ["<|im_start|>", "<|im_end|>"]);

    /// <summary>
    /// Qwen2.5-Instruct's template: <see cref="ChatMl"/> plus its default system message ("You are Qwen, created by Alibaba
    /// Cloud. You are a helpful assistant.") when the conversation does not start with a system message.
    /// </summary>
    public static ChatTemplate Qwen25 { get; } = new(
        "qwen2.5",
        ChatMlRoles(),
        requiredTokens: ["<|im_start|>", "<|im_end|>"],
        rules: new ChatTemplateRules { DefaultSystemMessage = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." });

    /// <summary>
    /// Qwen3's template: <see cref="ChatMl"/> plus its think handling (<see cref="ReasoningFormat.Qwen3"/>): reasoning kept
    /// only after the last user query, an empty <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c> block before the content of a final
    /// assistant turn, and <see cref="ChatRenderOptions.EnableThinking"/> for the generation prompt.
    /// </summary>
    public static ChatTemplate Qwen3 { get; } = new(
        "qwen3",
        ChatMlRoles(),
        requiredTokens: ["<|im_start|>", "<|im_end|>", "<think>", "</think>"],
        rules: new ChatTemplateRules { Reasoning = ReasoningFormat.Qwen3 });

    /// <summary>
    /// Meta's Llama 3 Instruct template: <c>&lt;|begin_of_text|&gt;</c>, then per message
    /// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> + the content stripped of surrounding white space +
    /// <c>&lt;|eot_id|&gt;</c>; roles system, user, assistant, tool and ipython (each header says its own name).
    /// </summary>
    public static ChatTemplate Llama3Instruct { get; } = Llama3InstructWith(headerAlways: false);

    /// <summary>
    /// The first release of <see cref="Llama3Instruct"/>, which appends the assistant header after the last message even
    /// without a generation prompt (untrained, as transformers renders it).
    /// </summary>
    public static ChatTemplate Llama3InstructAlwaysHeader { get; } = Llama3InstructWith(headerAlways: true);

    /// <summary>
    /// Llama 3.1's template (without tools): a system turn always opens the conversation, its content preceded by
    /// "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" (the date: <see cref="ChatRenderOptions.DateString"/>);
    /// contents stripped; tool (or ipython) results as JSON strings under an ipython header.
    /// </summary>
    public static ChatTemplate Llama31 { get; } = Llama31Family("llama3.1", "26 Jul 2024");

    /// <summary>Llama 3.2's (and 3.3's) template: <see cref="Llama31"/> with today's date by default (transformers' <c>strftime_now</c>).</summary>
    public static ChatTemplate Llama32 { get; } = Llama31Family("llama3.2", null);

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

    /// <summary>What the template does beyond wrapping each message.</summary>
    public ChatTemplateRules Rules { get; }

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

    /// <summary>The names <see cref="FromNameOrPath"/> knows, comma separated.</summary>
    public const string BuiltInNames = "chatml, qwen2.5, qwen3, llama3, llama3-instruct, llama3-instruct-always-header, llama3.1, llama3.2";

    /// <summary>Resolves a <c>--template</c> argument: a built-in name (<see cref="BuiltInNames"/>) or the path of a template JSON file.</summary>
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
            case "qwen2.5":
                return Qwen25;
            case "qwen3":
                return Qwen3;
            case "llama3":
                return Llama3;
            case "llama3-instruct":
                return Llama3Instruct;
            case "llama3-instruct-always-header":
                return Llama3InstructAlwaysHeader;
            case "llama3.1":
                return Llama31;
            case "llama3.2":
            case "llama3.3":
                return Llama32;
        }

        if (!File.Exists(nameOrPath))
        {
            throw new FileNotFoundException($"'{nameOrPath}' is neither a built-in chat template ({BuiltInNames}) nor an existing template file "
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
    /// <exception cref="ChatTemplateException">A message has a role the template does not know, reasoning the template does not
    /// render, or the tokenizer lacks a required token.</exception>
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

            _ = message.Content ?? throw new ArgumentNullException(nameof(messages), $"Message {i} has no content.");
            if (message.ReasoningContent is not null && Rules.Reasoning == ReasoningFormat.None)
            {
                throw new ChatTemplateException($"Message {i} has reasoning_content, which the chat template '{Name}' does not render (it would be "
                    + "dropped silently). Use a template with think handling (qwen3), or put the reasoning into the content.");
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

        var turns = Prepare(messages, options);
        Add(Begin, true);
        for (int t = 0; t < turns.Count; t++)
        {
            var (role, think, content, i) = turns[t];
            var format = _roles[role];
            bool firstOfRun = t == 0 || turns[t - 1].Role != role;
            bool lastOfRun = t == turns.Count - 1 || turns[t + 1].Role != role;
            bool trained = i >= 0 && role == ChatRoles.Assistant && (options.TrainOn == AssistantTurns.All || i == lastAssistant);
            var kind = trained ? ChatSpanKind.Content : ChatSpanKind.Context;
            if (firstOfRun)
            {
                Add(format.GroupOpen, true);
            }

            Add(format.Prefix, true);
            if (trained && think.Length > 0 && (options.EnableThinking || think != Qwen3Reasoning.EmptyBlock))
            {
                // The think block is what the model writes first: trained with the content, tokenized with it as one text.
                content = think + content;
            }
            else
            {
                Add(think, true);
            }

            Add(content, options.AllowSpecialTokensInContent, kind, trained ? i : -1);
            Add(format.EndOfTurn, true, trained ? ChatSpanKind.EndOfTurn : ChatSpanKind.Context, trained ? i : -1);
            Add(format.Separator, true);
            if (lastOfRun)
            {
                Add(format.GroupClose, true);
            }
        }

        Add(End, true);
        if (options.AddGenerationPrompt)
        {
            Add(GenerationPrompt(options), true);
        }

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

    /// <summary>The text that opens the assistant's next turn for <see cref="ChatRenderOptions.AddGenerationPrompt"/>.</summary>
    /// <param name="options">Options; null for <see cref="ChatRenderOptions.Default"/>.</param>
    /// <returns>The generation prompt (Qwen3 without thinking: with an empty think block).</returns>
    public string GenerationPrompt(ChatRenderOptions? options = null)
    {
        options ??= ChatRenderOptions.Default;
        var prompt = Rules.GenerationPrompt ?? _roles[ChatRoles.Assistant].Prefix;
        return Rules.Reasoning == ReasoningFormat.Qwen3 && !options.EnableThinking ? prompt + Qwen3Reasoning.EmptyBlock : prompt;
    }

    /// <summary>
    /// The turns to render, in order: the messages (with the default system message first when the rules give one and the
    /// conversation does not open with a system message), each with its think block and its content as the template writes
    /// them (reasoning rules, trimming, JSON, the leading system preamble), and its index in <paramref name="messages"/> (-1
    /// for the default system message).
    /// </summary>
    private List<(string Role, string Think, string Content, int Index)> Prepare(IReadOnlyList<ChatMessage> messages, ChatRenderOptions options)
    {
        var thinkAndContent = Rules.Reasoning == ReasoningFormat.Qwen3
            ? Qwen3Reasoning.Apply(messages)
            : messages.Select(m => (Think: string.Empty, m.Content)).ToArray();
        var turns = new List<(string Role, string Think, string Content, int Index)>(messages.Count + 1);
        if (Rules.DefaultSystemMessage is { } defaultSystem && (messages.Count == 0 || messages[0].Role != ChatRoles.System))
        {
            turns.Add((ChatRoles.System, string.Empty, defaultSystem, -1));
        }

        for (int i = 0; i < messages.Count; i++)
        {
            turns.Add((messages[i].Role, thinkAndContent[i].Think, thinkAndContent[i].Content, i));
        }

        for (int t = 0; t < turns.Count; t++)
        {
            var (role, think, content, index) = turns[t];
            var format = _roles[role];
            if (format.TrimContent)
            {
                content = TemplateText.Strip(content);
            }

            if (format.JsonContent)
            {
                content = TemplateText.JsonString(content);
            }

            if (t == 0 && role == ChatRoles.System && Rules.LeadingSystemPreamble.Length > 0)
            {
                var date = options.DateString ?? Rules.DefaultDate ?? DateTime.Now.ToString("dd MMM yyyy", CultureInfo.InvariantCulture);
                content = Rules.LeadingSystemPreamble.Replace("{date}", date, StringComparison.Ordinal) + content;
            }

            turns[t] = (role, think, content, index);
        }

        return turns;
    }

    private static Dictionary<string, ChatRoleFormat> ChatMlRoles() => new()
    {
        [ChatRoles.System] = new("<|im_start|>system\n", "<|im_end|>", "\n"),
        [ChatRoles.User] = new("<|im_start|>user\n", "<|im_end|>", "\n"),
        [ChatRoles.Assistant] = new("<|im_start|>assistant\n", "<|im_end|>", "\n"),
        [ChatRoles.Tool] = new("\n<tool_response>\n", "\n</tool_response>", string.Empty, "<|im_start|>user", "<|im_end|>\n"),
    };

    private static ChatRoleFormat LlamaHeader(string role, bool trim = true) =>
        new($"<|start_header_id|>{role}<|end_header_id|>\n\n", "<|eot_id|>") { TrimContent = trim };

    private static ChatTemplate Llama3InstructWith(bool headerAlways)
    {
        var roles = new[] { ChatRoles.System, ChatRoles.User, ChatRoles.Assistant, ChatRoles.Tool, ChatRoles.IPython }
            .ToDictionary(r => r, r => LlamaHeader(r));
        var header = roles[ChatRoles.Assistant].Prefix;
        return new ChatTemplate(headerAlways ? "llama3-instruct-always-header" : "llama3-instruct", roles, "<|begin_of_text|>", headerAlways ? header : string.Empty,
            ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
            new ChatTemplateRules { GenerationPrompt = headerAlways ? string.Empty : null });
    }

    private static ChatTemplate Llama31Family(string name, string? defaultDate)
    {
        var ipython = new ChatRoleFormat("<|start_header_id|>ipython<|end_header_id|>\n\n", "<|eot_id|>") { JsonContent = true };
        var roles = new Dictionary<string, ChatRoleFormat>
        {
            [ChatRoles.System] = LlamaHeader(ChatRoles.System),
            [ChatRoles.User] = LlamaHeader(ChatRoles.User),
            [ChatRoles.Assistant] = LlamaHeader(ChatRoles.Assistant),
            [ChatRoles.Tool] = ipython,
            [ChatRoles.IPython] = ipython,
        };
        return new ChatTemplate(name, roles, "<|begin_of_text|>", string.Empty,
            ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
            new ChatTemplateRules
            {
                DefaultSystemMessage = string.Empty,
                LeadingSystemPreamble = "Cutting Knowledge Date: December 2023\nToday Date: {date}\n\n",
                DefaultDate = defaultDate,
            });
    }
}
