// The exception raised for an invalid episode dataset; carries the file, episode, offset and hint of the problem.
namespace MaskedSft.MLNet.Data;

/// <summary>An episode dataset is missing, malformed or inconsistent.</summary>
public sealed class EpisodeDatasetException : IOException
{
    /// <summary>Creates the exception for one validation error.</summary>
    /// <param name="error">The error; its text becomes the message.</param>
    public EpisodeDatasetException(EpisodeDatasetError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString())
    {
        Error = error;
    }

    /// <summary>Creates the exception for one validation error with the exception that caused it.</summary>
    /// <param name="error">The error; its text becomes the message.</param>
    /// <param name="innerException">The cause.</param>
    public EpisodeDatasetException(EpisodeDatasetError error, Exception? innerException)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString(), innerException)
    {
        Error = error;
    }

    /// <summary>The structured error.</summary>
    public EpisodeDatasetError Error { get; }

    /// <summary>The class of the problem.</summary>
    public EpisodeDatasetErrorKind Kind => Error.Kind;

    /// <summary>The file (or directory) concerned.</summary>
    public string FilePath => Error.FilePath;

    /// <summary>The episode index concerned, when one is.</summary>
    public long? Episode => Error.Episode;

    /// <summary>The byte offset in <see cref="FilePath"/>, when known.</summary>
    public long? ByteOffset => Error.ByteOffset;

    /// <summary>The absolute token offset, when the problem is at a token.</summary>
    public long? TokenOffset => Error.TokenOffset;

    /// <summary>How to fix the problem.</summary>
    public string Hint => Error.Hint;
}
