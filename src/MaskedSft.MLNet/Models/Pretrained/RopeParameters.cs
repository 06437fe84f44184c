// The rotary-embedding settings of a model config (transformers 4.x rope_theta + rope_scaling, 5.x rope_parameters).
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Rotary position embedding settings, as transformers 5.x writes them in <c>rope_parameters</c> (4.x: <c>rope_theta</c>
/// and <c>rope_scaling</c>).
/// </summary>
public sealed record RopeParameters
{
    /// <summary>The variant (<c>rope_type</c>).</summary>
    public RopeType Type { get; init; } = RopeType.Default;

    /// <summary>The base θ of the frequencies (<c>rope_theta</c>, default 10000).</summary>
    public double Theta { get; init; } = 10_000.0;

    /// <summary>The scaling factor (<c>factor</c>; linear and llama3 only).</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary>llama3: wavelengths longer than original_max_position_embeddings / low_freq_factor are divided by the factor.</summary>
    public double LowFreqFactor { get; init; } = 1.0;

    /// <summary>llama3: wavelengths shorter than original_max_position_embeddings / high_freq_factor are kept.</summary>
    public double HighFreqFactor { get; init; } = 4.0;

    /// <summary>llama3: the context length the model was pretrained with (<c>original_max_position_embeddings</c>).</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>The <c>rope_type</c> name transformers uses.</summary>
    public string TypeName => Type switch
    {
        RopeType.Linear => "linear",
        RopeType.Llama3 => "llama3",
        _ => "default",
    };

    /// <summary>The rope types this library computes, as transformers names them.</summary>
    public const string SupportedTypeNames = "default, linear, llama3";
}
