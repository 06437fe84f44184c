// The exception every malformed or inconsistent safetensors file raises: names the file, the tensor, the problem and a hint.
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Raised when a safetensors file is malformed (bad header length, invalid JSON, unknown dtype, offsets past the end,
/// overlapping or non-contiguous tensors, truncated data) or when a writer is given inconsistent tensors.
/// The message names the file, the tensor when one is involved, the problem and a hint.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file that was being read or written.</param>
    /// <param name="tensorName">The tensor the problem concerns, or <see langword="null"/> for file-level problems.</param>
    /// <param name="problem">What is wrong, e.g. "data_offsets [0, 400] end past the data section (96 bytes)".</param>
    /// <param name="hint">What the user can do about it.</param>
    /// <param name="innerException">The underlying error, if any (e.g. a JSON parse error).</param>
    public SafetensorsFormatException(string filePath, string? tensorName, string problem, string hint, Exception? innerException = null)
        : base(Format(filePath, tensorName, problem, hint), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Problem = problem;
        Hint = hint;
    }

    /// <summary>The file that was being read or written.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem concerns, or <see langword="null"/> for file-level problems.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>What the user can do about it.</summary>
    public string Hint { get; }

    private static string Format(string filePath, string? tensorName, string problem, string hint) =>
        tensorName is null
            ? $"safetensors file '{filePath}': {problem}. Hint: {hint}"
            : $"safetensors file '{filePath}', tensor '{tensorName}': {problem}. Hint: {hint}";
}
