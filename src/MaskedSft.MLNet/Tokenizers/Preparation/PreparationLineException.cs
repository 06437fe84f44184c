// A refused input line: the file, the line number, the kind of problem and what exactly is wrong.
namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>Thrown (or, with <see cref="PreparationOptions.SkipBadLines"/>, recorded) for a line that cannot become episodes.
/// The message reads <c>FILE:LINE: reason</c>.</summary>
public sealed class PreparationLineException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public PreparationLineException()
        : base("An input line cannot be prepared.")
    {
        FilePath = string.Empty;
        Reason = Message;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public PreparationLineException(string message)
        : base(message)
    {
        FilePath = string.Empty;
        Reason = message;
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public PreparationLineException(string message, Exception? innerException)
        : base(message, innerException)
    {
        FilePath = string.Empty;
        Reason = message;
    }

    /// <summary>Creates the exception for line <paramref name="lineNumber"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The input file.</param>
    /// <param name="lineNumber">1-based line number.</param>
    /// <param name="kind">The kind of problem.</param>
    /// <param name="reason">What exactly is wrong, naming the field.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PreparationLineException(string filePath, long lineNumber, PreparationErrorKind kind, string reason, Exception? innerException = null)
        : base($"{filePath}:{lineNumber}: {Describe(kind)}: {reason}", innerException)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Kind = kind;
        Reason = reason;
    }

    /// <summary>The input file.</summary>
    public string FilePath { get; }

    /// <summary>1-based line number.</summary>
    public long LineNumber { get; }

    /// <summary>The kind of problem.</summary>
    public PreparationErrorKind Kind { get; }

    /// <summary>What exactly is wrong.</summary>
    public string Reason { get; }

    private static string Describe(PreparationErrorKind kind) => kind switch
    {
        PreparationErrorKind.InvalidJson => "invalid JSON",
        PreparationErrorKind.WrongType => "wrong type",
        PreparationErrorKind.MissingField => "missing field",
        PreparationErrorKind.UnknownRole => "unknown role",
        PreparationErrorKind.InvalidValue => "invalid value",
        _ => kind.ToString(),
    };
}
