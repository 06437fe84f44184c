// The error for a tokenizer file that exists but cannot be used: bad JSON, a missing field, an unsupported setting.
namespace MaskedSft.MLNet.Tokenizers;

/// <summary>
/// Thrown when a tokenizer file is corrupt or uses a setting this tokenizer does not support. The message names the file,
/// the JSON path or line of the problem, and how to get good files.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>The hint appended to every message.</summary>
    public const string Hint = "Hint: `bash scripts/setup.sh` puts known-good tokenizer files into .cache/tokenizers/{gpt2,qwen3}; "
        + "a Hugging Face tokenizer.json with a byte-level BPE model, or GPT-2's encoder.json + vocab.bpe, is expected.";

    /// <summary>Creates the exception with a plain message.</summary>
    public TokenizerFormatException()
        : this("The tokenizer file is not valid.")
    {
    }

    /// <summary>Creates the exception with a plain message.</summary>
    /// <param name="message">What is wrong.</param>
    public TokenizerFormatException(string message)
        : base(message)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception with a plain message and the error that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public TokenizerFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
    }

    /// <summary>Creates the exception for a problem at <paramref name="location"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The tokenizer file.</param>
    /// <param name="location">A JSON path such as <c>$.model.merges[12]</c>, or <c>line 7</c>; null for the whole file.</param>
    /// <param name="problem">What is wrong there.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public TokenizerFormatException(string filePath, string? location, string problem, Exception? innerException = null)
        : base($"Tokenizer file '{filePath}'{(location is null ? string.Empty : $" at {location}")}: {problem} {Hint}", innerException)
    {
        FilePath = filePath;
        Location = location;
    }

    /// <summary>The tokenizer file (empty when not known).</summary>
    public string FilePath { get; }

    /// <summary>The JSON path or line of the problem, if known.</summary>
    public string? Location { get; }
}
