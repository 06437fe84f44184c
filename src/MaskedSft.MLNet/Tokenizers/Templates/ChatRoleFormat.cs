// How a chat template renders the messages of one role.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// The texts a template puts around each message of one role. A message renders as
/// <c>[GroupOpen] Prefix content EndOfTurn Separator [GroupClose]</c>, where GroupOpen comes only before the first message
/// of a run of consecutive messages of this role and GroupClose only after the last (Qwen groups consecutive tool results
/// into one user turn this way). For a trained assistant turn, content and <see cref="EndOfTurn"/> get mask 1; everything
/// else gets 0.
/// </summary>
/// <param name="Prefix">Text before the content (the role header), e.g. <c>&lt;|im_start|&gt;user\n</c>.</param>
/// <param name="EndOfTurn">Text right after the content that ends the turn, e.g. <c>&lt;|im_end|&gt;</c>.</param>
/// <param name="Separator">Text after the end of turn, never trained, e.g. <c>\n</c>.</param>
/// <param name="GroupOpen">Text before a run of consecutive messages of this role.</param>
/// <param name="GroupClose">Text after a run of consecutive messages of this role.</param>
public sealed record ChatRoleFormat(string Prefix, string EndOfTurn, string Separator = "", string GroupOpen = "", string GroupClose = "")
{
    /// <summary>The content is stripped of leading and trailing whitespace first (Jinja's <c>trim</c>, as Llama 3's templates do).</summary>
    public bool TrimContent { get; init; }

    /// <summary>The content is written as a JSON string literal (<c>tojson</c>, as Llama 3.1's templates write tool results).</summary>
    public bool JsonContent { get; init; }
}
