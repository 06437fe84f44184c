// A model folder's generation_config.json: eos ids (one or several), pad/bos ids and the default decoding settings.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// The defaults of generation a model ships with (Hugging Face <c>generation_config.json</c>). Missing fields take
/// transformers' defaults (greedy; when sampling, temperature 1, top-k 50, top-p 1).
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>The file name inside a model folder.</summary>
    public const string FileName = "generation_config.json";

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>Beginning-of-sequence token, if any.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Tokens that end a generated sequence (several for chat models, e.g. &lt;|im_end|&gt; and &lt;|endoftext|&gt;).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Padding token, if any.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Sample (true) or decode greedily (false, transformers' default).</summary>
    public bool DoSample { get; init; }

    /// <summary>Sampling temperature (default 1).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep the k most likely tokens when sampling (default 50; 0 = all).</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Keep the smallest set of tokens whose probability reaches p (default 1 = all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Default number of new tokens, if the file sets one.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>The JSON the config was read from (unknown fields are written back).</summary>
    internal JsonObject? Source { get; init; }

    /// <summary>The generation defaults implied by a model config alone (its bos, eos and pad ids; greedy).</summary>
    /// <param name="config">The model config.</param>
    /// <returns>The generation config.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    public static GenerationConfig FromModelConfig(PretrainedLmConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GenerationConfig { BosTokenId = config.BosTokenId, EosTokenIds = config.EosTokenIds, PadTokenId = config.PadTokenId };
    }

    /// <summary>Reads generation_config.json.</summary>
    /// <param name="path">The file, or a model folder holding it.</param>
    /// <returns>The config.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelConfigException">A field has the wrong type.</exception>
    public static GenerationConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) path = Path.Combine(path, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no generation config.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a generation_config.json.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from (for messages).</param>
    /// <returns>The config.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ModelConfigException">A field has the wrong type or an invalid value.</exception>
    public static GenerationConfig Parse(string json, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        var r = new ConfigJsonReader(source, "generation_config.json is written by transformers' GenerationConfig.save_pretrained.");
        var o = r.ParseObject(json);
        var config = new GenerationConfig
        {
            BosTokenId = r.OptionalInt(o, "bos_token_id"),
            EosTokenIds = EndOfSequenceIds.Read(r, o),
            PadTokenId = r.OptionalInt(o, "pad_token_id"),
            DoSample = r.OptionalBool(o, "do_sample") ?? false,
            Temperature = r.OptionalDouble(o, "temperature") ?? 1.0,
            TopK = r.OptionalInt(o, "top_k") ?? 50,
            TopP = r.OptionalDouble(o, "top_p") ?? 1.0,
            MaxNewTokens = r.OptionalInt(o, "max_new_tokens"),
            Source = o,
        };
        if (!(config.Temperature > 0)) throw r.Error("temperature", $"expected a positive number, found {config.Temperature}.");
        if (config.TopK < 0) throw r.Error("top_k", $"expected 0 or more, found {config.TopK}.");
        if (!(config.TopP > 0 && config.TopP <= 1)) throw r.Error("top_p", $"expected a number in (0, 1], found {config.TopP}.");
        return config;
    }

    /// <summary>The generation_config.json text (the unknown fields of the file it was read from are kept).</summary>
    /// <returns>Indented JSON.</returns>
    public string ToJson()
    {
        var o = Source?.DeepClone() as JsonObject ?? [];
        o["bos_token_id"] = BosTokenId;
        o[EndOfSequenceIds.Field] = ConfigJsonReader.IntOrIntListNode(EosTokenIds);
        o["pad_token_id"] = PadTokenId;
        o["do_sample"] = DoSample;
        if (DoSample || Source?.ContainsKey("temperature") == true) o["temperature"] = Temperature;
        if (DoSample || Source?.ContainsKey("top_k") == true) o["top_k"] = TopK;
        if (DoSample || Source?.ContainsKey("top_p") == true) o["top_p"] = TopP;
        if (MaxNewTokens is { } m) o["max_new_tokens"] = m;
        return o.ToJsonString(s_indented);
    }
}
