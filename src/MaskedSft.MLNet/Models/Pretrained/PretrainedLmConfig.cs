// The typed config of a pretrained decoder-only LM (Llama, Qwen2, Qwen3), read from / written to a Hugging Face config.json.
using System.Text.Json.Nodes;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// The sizes and settings of a Llama, Qwen2 or Qwen3 model, as in a Hugging Face <c>config.json</c>. Read both the
/// transformers 4.x style (<c>rope_theta</c>, <c>rope_scaling</c>, <c>torch_dtype</c>) and the 5.x style
/// (<c>rope_parameters</c>, <c>dtype</c>) with <see cref="Load"/>; <see cref="ToJson"/> writes the fields of both.
/// </summary>
public sealed record PretrainedLmConfig
{
    /// <summary>The file name of the config inside a model folder.</summary>
    public const string FileName = "config.json";

    /// <summary>The architecture.</summary>
    public PretrainedArchitecture Architecture { get; init; } = PretrainedArchitecture.Llama;

    /// <summary>Vocabulary size V (<c>vocab_size</c>).</summary>
    public int VocabSize { get; init; }

    /// <summary>Width C of the residual stream (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; init; }

    /// <summary>Width of the SwiGLU MLP (<c>intermediate_size</c>).</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers (<c>num_hidden_layers</c>).</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads H (<c>num_attention_heads</c>).</summary>
    public int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads (<c>num_key_value_heads</c>; H = multi-head, 1 = multi-query, else grouped).</summary>
    public int NumKeyValueHeads { get; init; }

    /// <summary>Width D of one head (<c>head_dim</c>; by default hidden_size / num_attention_heads, Qwen3: 128).</summary>
    public int HeadDim { get; init; }

    /// <summary>The RMSNorm epsilon (<c>rms_norm_eps</c>).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Longest sequence (<c>max_position_embeddings</c>).</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Whether the LM head shares the token embedding (<c>tie_word_embeddings</c>); then no <c>lm_head.weight</c> exists.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Biases on q, k, v and o (<c>attention_bias</c>; Llama and Qwen3). Qwen2 always has q, k, v biases.</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Biases on gate, up and down (<c>mlp_bias</c>; Llama).</summary>
    public bool MlpBias { get; init; }

    /// <summary>The rotary embedding.</summary>
    public RopeParameters Rope { get; init; } = new();

    /// <summary>Standard deviation of the random initialisation (<c>initializer_range</c>).</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary>The dtype the weights were saved in (<c>dtype</c> / <c>torch_dtype</c>), if the file says.</summary>
    public ScalarType? TorchDType { get; init; }

    /// <summary>Beginning-of-sequence token (<c>bos_token_id</c>), if any.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence tokens (<c>eos_token_id</c>, one or several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Padding token (<c>pad_token_id</c>), if any.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>q, k and v have biases (Qwen2 always; Llama and Qwen3 when <see cref="AttentionBias"/>).</summary>
    public bool HasQkvBias => Architecture == PretrainedArchitecture.Qwen2 || AttentionBias;

    /// <summary>o has a bias (<see cref="AttentionBias"/>, never for Qwen2).</summary>
    public bool HasOutputBias => Architecture != PretrainedArchitecture.Qwen2 && AttentionBias;

    /// <summary>q and k are RMS-normalised per head before the rotary embedding (Qwen3).</summary>
    public bool HasQkNorm => Architecture == PretrainedArchitecture.Qwen3;

    /// <summary>The MLP has biases (Llama's <see cref="MlpBias"/>).</summary>
    public bool HasMlpBias => Architecture == PretrainedArchitecture.Llama && MlpBias;

    /// <summary>The JSON object the config was read from (unknown fields are written back by <see cref="ToJson"/>).</summary>
    internal JsonObject? Source { get; init; }

    /// <summary>Reads a config.json in transformers 4.x or 5.x style.</summary>
    /// <param name="path">The file, or a model folder holding config.json.</param>
    /// <returns>The config, validated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelConfigException">A field is missing, mistyped or unsupported (the message names it).</exception>
    public static PretrainedLmConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) path = System.IO.Path.Combine(path, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no model config. Hint: a Hugging Face model folder holds config.json next to model.safetensors.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a config.json.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from (for messages).</param>
    /// <returns>The config, validated.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ModelConfigException">A field is missing, mistyped or unsupported.</exception>
    public static PretrainedLmConfig Parse(string json, string source = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        return PretrainedLmConfigReader.Read(json, source);
    }

    /// <summary>The config.json text: transformers 5.x fields (<c>rope_parameters</c>, <c>dtype</c>) and the 4.x ones
    /// (<c>rope_theta</c>, <c>rope_scaling</c>, <c>torch_dtype</c>), with the unknown fields of the file it was read from.</summary>
    /// <param name="savedDType">The dtype of the saved weights (written as dtype and torch_dtype); null keeps <see cref="TorchDType"/>.</param>
    /// <returns>Indented JSON.</returns>
    public string ToJson(ScalarType? savedDType = null) => PretrainedLmConfigWriter.Write(this, savedDType ?? TorchDType);

    /// <summary>Checks that the sizes fit together.</summary>
    /// <param name="source">The file the config came from (for messages).</param>
    /// <exception cref="ModelConfigException">A size is not positive or the heads do not divide evenly.</exception>
    public void Validate(string source = FileName)
    {
        const string hint = "the sizes of config.json must match the checkpoint; compare with the model card's config.";
        void Positive(int v, string field)
        {
            if (v <= 0) throw new ModelConfigException(source, field, $"expected a positive integer, found {v}.", hint);
        }

        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ModelConfigException(source, "num_key_value_heads", $"{NumKeyValueHeads} does not divide num_attention_heads {NumAttentionHeads}.", hint);
        if (HeadDim % 2 != 0)
            throw new ModelConfigException(source, "head_dim", $"the rotary embedding needs an even head_dim, found {HeadDim}.", hint);
        if (!(RmsNormEps > 0))
            throw new ModelConfigException(source, "rms_norm_eps", $"expected a positive number, found {RmsNormEps}.", hint);
        if (!(Rope.Theta > 0))
            throw new ModelConfigException(source, "rope_theta", $"expected a positive number, found {Rope.Theta}.", hint);
        if (Rope.Type != RopeType.Default && !(Rope.Factor > 0))
            throw new ModelConfigException(source, "rope_scaling.factor", $"expected a positive number, found {Rope.Factor}.", hint);
        if (Rope.Type == RopeType.Llama3 && (!(Rope.HighFreqFactor > Rope.LowFreqFactor) || !(Rope.LowFreqFactor > 0) || Rope.OriginalMaxPositionEmbeddings <= 0))
        {
            throw new ModelConfigException(source, "rope_scaling", $"llama3 needs 0 < low_freq_factor < high_freq_factor and a positive original_max_position_embeddings; " +
                $"found {Rope.LowFreqFactor}, {Rope.HighFreqFactor}, {Rope.OriginalMaxPositionEmbeddings}.", hint);
        }
    }
}
