// The exception the PNG decoder raises for bytes that are not a PNG file or do not decode.
namespace MaskedSft.Testing.Imaging;

/// <summary>Raised by <see cref="PngDecoder"/> when the bytes are not a PNG it can decode; the message says what is wrong.</summary>
public sealed class PngFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, with a hint.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public PngFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
