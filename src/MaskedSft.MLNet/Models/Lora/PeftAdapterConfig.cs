// adapter_config.json as peft writes and reads it: LoraConfig <-> peft's field names, with unsupported features rejected by name.
using System.Text.Json;
using MaskedSft.Torch.IO;

namespace MaskedSft.MLNet.Models.Lora;

/// <summary>Reads and writes peft's <c>adapter_config.json</c> for LoRA.</summary>
internal static class PeftAdapterConfig
{
    /// <summary>The file name peft uses.</summary>
    public const string FileName = "adapter_config.json";

    /// <summary>Fields that must be absent, null, false, empty or equal to the given default: features this LoRA does not
    /// implement, each named in the error.</summary>
    private static readonly Dictionary<string, string> UnsupportedFeatures = new(StringComparer.Ordinal)
    {
        ["use_dora"] = "DoRA (weight-decomposed LoRA)",
        ["lora_bias"] = "a trained bias on lora_B",
        ["fan_in_fan_out"] = "fan_in_fan_out (weights stored (in, out) as GPT-2's Conv1D; Linear layers here are (out, in))",
        ["modules_to_save"] = "modules_to_save (fully trained extra modules saved with the adapter)",
        ["layer_replication"] = "layer_replication",
        ["trainable_token_indices"] = "trainable_token_indices (trainable token embeddings)",
        ["target_parameters"] = "target_parameters (LoRA on bare parameters)",
        ["megatron_config"] = "Megatron-parallel LoRA layers",
        ["use_qalora"] = "QA-LoRA",
        ["alora_invocation_tokens"] = "activated LoRA (aLoRA)",
        ["arrow_config"] = "Arrow routing",
        ["use_bdlora"] = "block-diagonal LoRA",
        ["kasa_config"] = "KaSA",
        ["monteclora_config"] = "MonteCLoRA",
        ["velora_config"] = "VeLoRA",
    };

    /// <summary>Fields read into <see cref="LoraConfig"/> or without effect on a loaded adapter's outputs (initialisation
    /// recipes, bookkeeping).</summary>
    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "peft_type", "r", "lora_alpha", "lora_dropout", "use_rslora", "target_modules", "exclude_modules", "rank_pattern",
        "alpha_pattern", "layers_to_transform", "layers_pattern", "bias", "init_lora_weights", "base_model_name_or_path",
        "revision", "task_type", "inference_mode", "auto_mapping", "peft_version", "loftq_config", "eva_config", "corda_config",
        "lora_ga_config", "megatron_core", "runtime_config", "qalora_group_size", "ensure_weight_tying",
    };

    /// <summary>Reads a LoRA config, rejecting other adapter types and unsupported features by name.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or a field has a wrong type or value.</exception>
    /// <exception cref="NotSupportedException">Another peft_type, or a LoRA feature this implementation lacks.</exception>
    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no {FileName}. Hint: pass the folder peft's save_pretrained wrote (adapter_config.json + adapter_model.safetensors).", path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }

        using (document)
        {
            try
            {
                return ReadRoot(path, document.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json parses strings that are not UTF-8 or hold an unpaired surrogate escape, then refuses to read them.
                throw new InvalidDataException($"{path}: a string or field name is not valid UTF-8 text ({e.Message}).", e);
            }
        }
    }

    private static LoraConfig ReadRoot(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Invalid(path, "the file", "a JSON object", root);
        var peftType = root.TryGetProperty("peft_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (peftType != "LORA")
            throw new NotSupportedException($"{path}: peft_type is {(peftType is null ? "missing" : $"'{peftType}'")}; only LoRA adapters (peft_type \"LORA\") load here.");
        foreach (var field in root.EnumerateObject())
        {
            CheckSupported(path, field);
        }

        var bias = OptionalString(root, "bias", path) ?? "none";
        if (bias != "none")
            throw new NotSupportedException($"{path}: bias is '{bias}'; only \"none\" (no bias trained) is supported.");
        return new LoraConfig
        {
            TargetModules = Selector(root, "target_modules", path)
                ?? throw new InvalidDataException($"{path}: target_modules is missing or null (peft then picks defaults by model type). Hint: name the modules, e.g. [\"q_proj\", \"v_proj\"]."),
            ExcludeModules = Selector(root, "exclude_modules", path),
            Rank = root.TryGetProperty("r", out var r) && IsInt(r, out var rank) ? rank : throw Invalid(path, "r", "an integer", r),
            Alpha = Number(root, "lora_alpha", path, 8),
            Dropout = Number(root, "lora_dropout", path, 0),
            UseRsLora = Bool(root, "use_rslora", path),
            RankPattern = Pattern<int>(root, "rank_pattern", path, e => IsInt(e, out var v) ? v : null),
            AlphaPattern = Pattern<double>(root, "alpha_pattern", path, e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null),
            LayersToTransform = IntList(root, "layers_to_transform", path),
            LayersPattern = StringList(root, "layers_pattern", path),
            Init = InitOf(root),
            BaseModelNameOrPath = OptionalString(root, "base_model_name_or_path", path),
        };
    }

    /// <summary>Writes the config with the field names and defaults of peft 0.18 (older versions ignore fields they do not
    /// know, with a warning), keys sorted and indented as peft writes them.</summary>
    /// <param name="path">The file (written atomically).</param>
    /// <param name="config">The settings.</param>
    /// <param name="targets">The adapted modules' paths, written as target_modules when the selection is all-linear
    /// (peft saves the resolved list).</param>
    public static void Write(string path, LoraConfig config, IReadOnlyList<string> targets)
    {
        var fields = new SortedDictionary<string, Action<Utf8JsonWriter>>(StringComparer.Ordinal)
        {
            ["alora_invocation_tokens"] = w => w.WriteNullValue(),
            ["alpha_pattern"] = w => WriteMap(w, config.AlphaPattern, (w2, v) => WriteNumber(w2, v)),
            ["arrow_config"] = w => w.WriteNullValue(),
            ["auto_mapping"] = w => w.WriteNullValue(),
            ["base_model_name_or_path"] = w => WriteStringOrNull(w, config.BaseModelNameOrPath),
            ["bias"] = w => w.WriteStringValue("none"),
            ["corda_config"] = w => w.WriteNullValue(),
            ["ensure_weight_tying"] = w => w.WriteBooleanValue(false),
            ["eva_config"] = w => w.WriteNullValue(),
            ["exclude_modules"] = w => WriteSelector(w, config.ExcludeModules, targets: null),
            ["fan_in_fan_out"] = w => w.WriteBooleanValue(false),
            ["inference_mode"] = w => w.WriteBooleanValue(true),
            ["init_lora_weights"] = w =>
            {
                if (config.Init == LoraInit.Gaussian) w.WriteStringValue("gaussian");
                else w.WriteBooleanValue(config.Init == LoraInit.Default);
            },
            ["layer_replication"] = w => w.WriteNullValue(),
            ["layers_pattern"] = w => WriteList(w, config.LayersPattern, (w2, v) => w2.WriteStringValue(v)),
            ["layers_to_transform"] = w => WriteList(w, config.LayersToTransform, (w2, v) => w2.WriteNumberValue(v)),
            ["loftq_config"] = w => { w.WriteStartObject(); w.WriteEndObject(); },
            ["lora_alpha"] = w => WriteNumber(w, config.Alpha),
            ["lora_bias"] = w => w.WriteBooleanValue(false),
            ["lora_dropout"] = w => WriteFloat(w, config.Dropout),
            ["megatron_config"] = w => w.WriteNullValue(),
            ["megatron_core"] = w => w.WriteStringValue("megatron.core"),
            ["modules_to_save"] = w => w.WriteNullValue(),
            ["peft_type"] = w => w.WriteStringValue("LORA"),
            ["qalora_group_size"] = w => w.WriteNumberValue(16),
            ["r"] = w => w.WriteNumberValue(config.Rank),
            ["rank_pattern"] = w => WriteMap(w, config.RankPattern, (w2, v) => w2.WriteNumberValue(v)),
            ["revision"] = w => w.WriteNullValue(),
            ["target_modules"] = w => WriteSelector(w, config.TargetModules, targets),
            ["target_parameters"] = w => w.WriteNullValue(),
            ["task_type"] = w => w.WriteStringValue("CAUSAL_LM"),
            ["trainable_token_indices"] = w => w.WriteNullValue(),
            ["use_dora"] = w => w.WriteBooleanValue(false),
            ["use_qalora"] = w => w.WriteBooleanValue(false),
            ["use_rslora"] = w => w.WriteBooleanValue(config.UseRsLora),
        };
        AtomicFile.Write(path, stream =>
        {
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 2 });
            writer.WriteStartObject();
            foreach (var (name, write) in fields)
            {
                writer.WritePropertyName(name);
                write(writer);
            }

            writer.WriteEndObject();
        });
    }

    private static void CheckSupported(string path, JsonProperty field)
    {
        var value = field.Value;
        var empty = value.ValueKind is JsonValueKind.Null or JsonValueKind.False
            || (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0)
            || (value.ValueKind == JsonValueKind.Object && !value.EnumerateObject().Any())
            || (value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0);
        if (UnsupportedFeatures.TryGetValue(field.Name, out var feature))
        {
            if (!empty)
                throw new NotSupportedException($"{path}: {field.Name} = {value.GetRawText()}: {feature} is not supported by this LoRA implementation. Hint: train the adapter without it.");
        }
        else if (!KnownFields.Contains(field.Name) && !empty)
        {
            throw new NotSupportedException(
                $"{path}: unknown LoRA option {field.Name} = {value.GetRawText()} (a newer peft feature?); it may change the adapter's outputs, so the adapter is not loaded.");
        }
    }

    /// <summary>peft's init_lora_weights: false, "gaussian", or true; other recipes (pissa, olora, ...) only change how
    /// training starts, so a loaded adapter reads as <see cref="LoraInit.Default"/>.</summary>
    private static LoraInit InitOf(JsonElement root)
    {
        if (!root.TryGetProperty("init_lora_weights", out var e)) return LoraInit.Default;
        return e.ValueKind switch
        {
            JsonValueKind.False => LoraInit.Random,
            JsonValueKind.String when e.GetString() == "gaussian" => LoraInit.Gaussian,
            _ => LoraInit.Default,
        };
    }

    private static ModuleSelector? Selector(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        try
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => ModuleSelector.FromPattern(e.GetString()!),
                JsonValueKind.Array when e.GetArrayLength() == 0 => null,
                JsonValueKind.Array => ModuleSelector.FromNames(e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Invalid(path, name, "a list of strings", e)).ToList()),
                _ => throw Invalid(path, name, "a list of module names or a regular expression", e),
            };
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path}: {name}: {ex.Message}", ex);
        }
    }

    private static double Number(JsonElement root, string name, string path, double fallback)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Invalid(path, name, "a number", e);
    }

    private static bool Bool(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return false;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(path, name, "true or false", e),
        };
    }

    private static string? OptionalString(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        return e.ValueKind == JsonValueKind.String ? e.GetString() : throw Invalid(path, name, "a string", e);
    }

    private static Dictionary<string, T> Pattern<T>(JsonElement root, string name, string path, Func<JsonElement, T?> read)
        where T : struct
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return result;
        if (e.ValueKind != JsonValueKind.Object) throw Invalid(path, name, "an object of module pattern -> value", e);
        foreach (var p in e.EnumerateObject())
        {
            result[p.Name] = read(p.Value) ?? throw Invalid(path, $"{name}['{p.Name}']", typeof(T) == typeof(int) ? "an integer" : "a number", p.Value);
        }

        return result;
    }

    private static List<int>? IntList(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (IsInt(e, out var single)) return [single];
        if (e.ValueKind != JsonValueKind.Array) throw Invalid(path, name, "an integer or a list of integers", e);
        return e.EnumerateArray().Select(x => IsInt(x, out var v) ? v : throw Invalid(path, name, "a list of integers", e)).ToList();
    }

    private static List<string>? StringList(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind == JsonValueKind.String) return [e.GetString()!];
        if (e.ValueKind != JsonValueKind.Array) throw Invalid(path, name, "a string or a list of strings", e);
        return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Invalid(path, name, "a list of strings", e)).ToList();
    }

    private static bool IsInt(JsonElement e, out int value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value);
    }

    private static InvalidDataException Invalid(string path, string field, string expected, JsonElement actual) =>
        new($"{path}: {field} must be {expected}; got {(actual.ValueKind == JsonValueKind.Undefined ? "nothing" : actual.GetRawText())}.");

    private static void WriteSelector(Utf8JsonWriter w, ModuleSelector? selector, IReadOnlyList<string>? targets)
    {
        if (selector is null) w.WriteNullValue();
        else if (selector.Pattern is not null) w.WriteStringValue(selector.Pattern);
        else WriteList(w, selector.IsAllLinear ? targets : selector.Names, (w2, v) => w2.WriteStringValue(v));
    }

    private static void WriteList<T>(Utf8JsonWriter w, IReadOnlyList<T>? values, Action<Utf8JsonWriter, T> write)
    {
        if (values is null)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartArray();
        foreach (var v in values) write(w, v);
        w.WriteEndArray();
    }

    private static void WriteMap<T>(Utf8JsonWriter w, IReadOnlyDictionary<string, T> values, Action<Utf8JsonWriter, T> write)
    {
        w.WriteStartObject();
        foreach (var (k, v) in values)
        {
            w.WritePropertyName(k);
            write(w, v);
        }

        w.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue();
        else w.WriteStringValue(value);
    }

    /// <summary>Writes a float as Python's json does (0.0, 0.05): peft's lora_dropout is a float.</summary>
    private static void WriteFloat(Utf8JsonWriter w, double value)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15) w.WriteRawValue(((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".0");
        else w.WriteNumberValue(value);
    }

    /// <summary>Writes an integral value as an integer (peft's lora_alpha is an int) and other values as they are.</summary>
    private static void WriteNumber(Utf8JsonWriter w, double value)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15) w.WriteNumberValue((long)value);
        else w.WriteNumberValue(value);
    }
}
