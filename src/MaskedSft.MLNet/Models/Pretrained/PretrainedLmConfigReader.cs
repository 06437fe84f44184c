// Parses config.json of a Llama / Qwen2 / Qwen3 model in transformers 4.x and 5.x style into a PretrainedLmConfig.
using System.Text.Json.Nodes;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Reads the fields of config.json with transformers' defaults for the optional ones.</summary>
internal static class PretrainedLmConfigReader
{
    private const string Hint = "config.json must be the one transformers saved with the model (save_pretrained); " +
        "supported: " + "LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM.";

    public static PretrainedLmConfig Read(string json, string source)
    {
        var r = new ConfigJsonReader(source, Hint);
        var o = r.ParseObject(json);
        var architecture = ReadArchitecture(r, o);
        var hidden = r.RequiredPositiveInt(o, "hidden_size");
        var heads = r.RequiredPositiveInt(o, "num_attention_heads");
        var defaultHeadDim = architecture == PretrainedArchitecture.Qwen3 ? 128 : hidden / heads;

        var act = r.OptionalString(o, "hidden_act") ?? "silu";
        if (act != "silu")
            throw r.Error("hidden_act", $"'{act}' is not supported; the SwiGLU MLP of these architectures uses silu.");
        var attentionDropout = r.OptionalDouble(o, "attention_dropout") ?? 0.0;
        if (attentionDropout != 0.0)
            throw r.Error("attention_dropout", $"{ConfigJsonReader.Format(attentionDropout)} is not supported (attention dropout is not implemented); set it to 0.0.");
        if (r.OptionalBool(o, "use_sliding_window") == true)
            throw r.Error("use_sliding_window", "sliding-window attention is not supported; set it to false (full attention, as Qwen2.5 and Qwen3 are released).");
        var partial = r.OptionalDouble(o, "partial_rotary_factor");
        if (partial is { } pf && pf != 1.0)
            throw r.Error("partial_rotary_factor", $"{ConfigJsonReader.Format(pf)} is not supported: these architectures rotate the whole head (1.0).");

        ScalarType? dtype = null;
        var dtypeField = ConfigJsonReader.Has(o, "dtype") ? "dtype" : "torch_dtype";
        if (r.OptionalString(o, dtypeField) is { } dtypeName)
        {
            if (!TorchDTypeNames.TryParse(dtypeName, out var parsed))
                throw r.Error(dtypeField, $"'{dtypeName}' is not a supported dtype; expected one of {TorchDTypeNames.Supported}.");
            dtype = parsed;
        }

        var config = new PretrainedLmConfig
        {
            Architecture = architecture,
            VocabSize = r.RequiredPositiveInt(o, "vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = r.RequiredPositiveInt(o, "intermediate_size"),
            NumHiddenLayers = r.RequiredPositiveInt(o, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = r.OptionalInt(o, "num_key_value_heads") ?? heads,
            HeadDim = r.OptionalInt(o, "head_dim") ?? defaultHeadDim,
            RmsNormEps = r.OptionalDouble(o, "rms_norm_eps") ?? 1e-6,
            MaxPositionEmbeddings = r.OptionalInt(o, "max_position_embeddings") ?? (architecture == PretrainedArchitecture.Llama ? 2048 : 32768),
            TieWordEmbeddings = r.OptionalBool(o, "tie_word_embeddings") ?? false,
            AttentionBias = architecture != PretrainedArchitecture.Qwen2 && (r.OptionalBool(o, "attention_bias") ?? false),
            MlpBias = architecture == PretrainedArchitecture.Llama && (r.OptionalBool(o, "mlp_bias") ?? false),
            Rope = ReadRope(r, o),
            InitializerRange = r.OptionalDouble(o, "initializer_range") ?? 0.02,
            TorchDType = dtype,
            BosTokenId = r.OptionalInt(o, "bos_token_id"),
            EosTokenIds = EndOfSequenceIds.Read(r, o),
            PadTokenId = r.OptionalInt(o, "pad_token_id"),
            Source = o,
        };
        config.Validate(source);
        return config;
    }

    private static PretrainedArchitecture ReadArchitecture(ConfigJsonReader r, JsonObject o)
    {
        var className = r.FirstString(o, "architectures");
        if (className is not null)
        {
            if (PretrainedArchitectures.TryParseClassName(className, out var a)) return a;
            throw new ModelConfigException(r.FilePath, "architectures", $"'{className}' is not supported; supported: {PretrainedArchitectures.SupportedClassNames}.",
                "only decoder-only Llama, Qwen2/Qwen2.5 and Qwen3 checkpoints load; other families need their own implementation.");
        }

        var modelType = r.OptionalString(o, "model_type");
        if (PretrainedArchitectures.TryParseModelType(modelType, out var fromType)) return fromType;
        throw new ModelConfigException(r.FilePath, modelType is null ? "architectures" : "model_type",
            modelType is null ? "the field is missing (expected e.g. [\"LlamaForCausalLM\"])." : $"'{modelType}' is not supported; supported: {PretrainedArchitectures.SupportedClassNames}.",
            "config.json names the model class in 'architectures'; re-save the model with transformers' save_pretrained.");
    }

    /// <summary>5.x: rope_parameters {rope_type, rope_theta, ...}; 4.x: rope_theta and rope_scaling {rope_type|type, ...}.
    /// As transformers 5 does, a non-empty rope_scaling wins over rope_parameters, and rope_theta falls back to the top level.</summary>
    private static RopeParameters ReadRope(ConfigJsonReader r, JsonObject o)
    {
        var scaling = r.OptionalObject(o, "rope_scaling");
        var parameters = r.OptionalObject(o, "rope_parameters");
        var (p, field) = scaling is { Count: > 0 } ? (scaling, "rope_scaling") : (parameters, "rope_parameters");
        var theta = (p is null ? null : r.OptionalDouble(p, "rope_theta", field)) ?? r.OptionalDouble(o, "rope_theta") ?? 10_000.0;
        if (p is null) return new RopeParameters { Theta = theta };
        if (r.OptionalDouble(p, "partial_rotary_factor", field) is { } pf && pf != 1.0)
            throw r.Error($"{field}.partial_rotary_factor", $"{ConfigJsonReader.Format(pf)} is not supported: these architectures rotate the whole head (1.0).");
        var typeField = ConfigJsonReader.Has(p, "rope_type") ? "rope_type" : "type";
        var typeName = r.OptionalString(p, typeField, field) ?? "default";
        var type = typeName switch
        {
            "default" => RopeType.Default,
            "linear" => RopeType.Linear,
            "llama3" => RopeType.Llama3,
            _ => throw new ModelConfigException(r.FilePath, $"{field}.{typeField}", $"rope type '{typeName}' is not supported; supported: {RopeParameters.SupportedTypeNames}.",
                "dynamic, yarn and longrope scaling are not implemented; use a checkpoint with one of the supported rope types."),
        };
        double Required(string name) => r.OptionalDouble(p, name, field)
            ?? throw r.Error($"{field}.{name}", $"the field is missing; rope type '{typeName}' needs it.");
        return type switch
        {
            RopeType.Linear => new RopeParameters { Type = type, Theta = theta, Factor = Required("factor") },
            RopeType.Llama3 => new RopeParameters
            {
                Type = type,
                Theta = theta,
                Factor = Required("factor"),
                LowFreqFactor = Required("low_freq_factor"),
                HighFreqFactor = Required("high_freq_factor"),
                OriginalMaxPositionEmbeddings = (int)Required("original_max_position_embeddings"),
            },
            _ => new RopeParameters { Theta = theta },
        };
    }
}
