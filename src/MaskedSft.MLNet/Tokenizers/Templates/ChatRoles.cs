// The role names that the built-in chat templates know.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>Role names of <see cref="ChatMessage.Role"/> known to the built-in templates.</summary>
public static class ChatRoles
{
    /// <summary>Instructions for the assistant.</summary>
    public const string System = "system";

    /// <summary>The person talking to the assistant.</summary>
    public const string User = "user";

    /// <summary>The model; the only role whose content is trained.</summary>
    public const string Assistant = "assistant";

    /// <summary>The result of a tool call.</summary>
    public const string Tool = "tool";

    /// <summary>Llama 3.1's name for tool results (code-interpreter output); its templates treat it as <see cref="Tool"/>.</summary>
    public const string IPython = "ipython";
}
