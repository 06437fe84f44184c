// The error for a model folder's config.json or generation_config.json that cannot be used: a missing or mistyped field,
// an unknown architecture, an unsupported setting.
namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>
/// Thrown when a model configuration file is missing a field, has a field of the wrong type, or asks for something this
/// library does not implement. The message names the file, the field and a hint.
/// </summary>
public sealed class ModelConfigException : IOException
{
    /// <summary>Creates the exception with a plain message.</summary>
    public ModelConfigException()
        : this("The model configuration is not valid.")
    {
    }

    /// <summary>Creates the exception with a plain message.</summary>
    /// <param name="message">What is wrong.</param>
    public ModelConfigException(string message)
        : base(message)
    {
        FilePath = string.Empty;
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a plain message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public ModelConfigException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
        Field = string.Empty;
    }

    /// <summary>Creates the exception for a problem with <paramref name="field"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The configuration file (or a description such as "in-memory config").</param>
    /// <param name="field">The JSON field, e.g. <c>rope_scaling.rope_type</c>.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="hint">How to fix it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ModelConfigException(string filePath, string field, string problem, string hint, Exception? innerException = null)
        : base($"{filePath}: field '{field}': {problem} Hint: {hint}", innerException)
    {
        FilePath = filePath;
        Field = field;
    }

    /// <summary>The configuration file (empty when not known).</summary>
    public string FilePath { get; }

    /// <summary>The JSON field of the problem (empty when not known).</summary>
    public string Field { get; }
}
