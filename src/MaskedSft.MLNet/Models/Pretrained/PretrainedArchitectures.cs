// Names of the supported architectures: the Hugging Face class name and model_type of each, both ways.
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Maps <see cref="PretrainedArchitecture"/> to and from transformers' class names and model types.</summary>
public static class PretrainedArchitectures
{
    private static readonly (PretrainedArchitecture Architecture, string ClassName, string ModelType)[] s_table =
    [
        (PretrainedArchitecture.Llama, "LlamaForCausalLM", "llama"),
        (PretrainedArchitecture.Qwen2, "Qwen2ForCausalLM", "qwen2"),
        (PretrainedArchitecture.Qwen3, "Qwen3ForCausalLM", "qwen3"),
    ];

    /// <summary>The supported class names, comma-separated (for messages).</summary>
    public static string SupportedClassNames => string.Join(", ", s_table.Select(e => e.ClassName));

    /// <summary>The transformers class name, e.g. <c>LlamaForCausalLM</c>.</summary>
    /// <param name="architecture">The architecture.</param>
    /// <returns>The class name.</returns>
    public static string ClassName(this PretrainedArchitecture architecture) => Entry(architecture).ClassName;

    /// <summary>The config's <c>model_type</c>, e.g. <c>llama</c>.</summary>
    /// <param name="architecture">The architecture.</param>
    /// <returns>The model type.</returns>
    public static string ModelType(this PretrainedArchitecture architecture) => Entry(architecture).ModelType;

    /// <summary>Finds the architecture of a transformers class name.</summary>
    /// <param name="className">E.g. <c>Qwen2ForCausalLM</c>.</param>
    /// <param name="architecture">The architecture when found.</param>
    /// <returns>Whether the class name is supported.</returns>
    public static bool TryParseClassName(string? className, out PretrainedArchitecture architecture)
    {
        foreach (var e in s_table)
        {
            if (string.Equals(e.ClassName, className, StringComparison.Ordinal))
            {
                architecture = e.Architecture;
                return true;
            }
        }

        architecture = default;
        return false;
    }

    /// <summary>Finds the architecture of a config's <c>model_type</c>.</summary>
    /// <param name="modelType">E.g. <c>qwen3</c>.</param>
    /// <param name="architecture">The architecture when found.</param>
    /// <returns>Whether the model type is supported.</returns>
    public static bool TryParseModelType(string? modelType, out PretrainedArchitecture architecture)
    {
        foreach (var e in s_table)
        {
            if (string.Equals(e.ModelType, modelType, StringComparison.Ordinal))
            {
                architecture = e.Architecture;
                return true;
            }
        }

        architecture = default;
        return false;
    }

    private static (PretrainedArchitecture Architecture, string ClassName, string ModelType) Entry(PretrainedArchitecture architecture)
    {
        foreach (var e in s_table)
        {
            if (e.Architecture == architecture) return e;
        }

        throw new ArgumentOutOfRangeException(nameof(architecture), architecture, $"unknown architecture; supported: {SupportedClassNames}.");
    }
}
