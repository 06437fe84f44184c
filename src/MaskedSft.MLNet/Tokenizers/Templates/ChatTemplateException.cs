// The error for a conversation or template that cannot be rendered: unknown role, bad template file, missing token.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Thrown when a chat template file is invalid, a message has a role the template does not know, or the
/// tokenizer lacks a special token the template needs. The message says what, where, and how to fix it.</summary>
public sealed class ChatTemplateException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ChatTemplateException()
        : base("The chat template cannot be used.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public ChatTemplateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the error that caused it.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="innerException">The underlying error.</param>
    public ChatTemplateException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
