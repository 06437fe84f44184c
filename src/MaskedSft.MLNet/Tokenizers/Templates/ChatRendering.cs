// A tokenized conversation: token ids, the per-token loss mask, and where each part came from.
namespace MaskedSft.MLNet.Tokenizers.Templates;

/// <summary>
/// The result of <see cref="ChatTemplate.Render"/>: <see cref="Ids"/> and <see cref="Mask"/> of equal length, where
/// <c>Mask[i] = 1</c> means token i is trained as a target (predicted from the tokens before it) — the convention of the
/// episode dataset format's mask.bin.
/// </summary>
public sealed class ChatRendering
{
    /// <summary>Creates a rendering.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="mask">Loss mask, one 0/1 byte per token.</param>
    /// <param name="spans">Origin of the tokens, in order.</param>
    /// <param name="truncated">True when tokens were cut off the end.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="ids"/> and <paramref name="mask"/> differ in length.</exception>
    public ChatRendering(int[] ids, byte[] mask, IReadOnlyList<ChatSpan> spans, bool truncated = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(spans);
        if (ids.Length != mask.Length)
        {
            throw new ArgumentException($"ids ({ids.Length}) and mask ({mask.Length}) must have the same length.", nameof(mask));
        }

        Ids = ids;
        Mask = mask;
        Spans = spans;
        Truncated = truncated;
    }

    /// <summary>Token ids.</summary>
    public int[] Ids { get; }

    /// <summary>Loss mask: 1 on trained assistant content and end-of-turn tokens, 0 elsewhere.</summary>
    public byte[] Mask { get; }

    /// <summary>Where each run of tokens came from.</summary>
    public IReadOnlyList<ChatSpan> Spans { get; }

    /// <summary>True when <see cref="Truncate"/> cut tokens off the end.</summary>
    public bool Truncated { get; }

    /// <summary>Number of tokens.</summary>
    public int Length => Ids.Length;

    /// <summary>Keeps the first <paramref name="maxLength"/> tokens (returns this rendering when it is not longer).</summary>
    /// <param name="maxLength">Most tokens to keep.</param>
    /// <returns>The truncated rendering.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is not positive.</exception>
    public ChatRendering Truncate(int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (Ids.Length <= maxLength)
        {
            return this;
        }

        var spans = new List<ChatSpan>();
        foreach (var span in Spans)
        {
            if (span.Start >= maxLength)
            {
                break;
            }

            spans.Add(span.Start + span.Length <= maxLength ? span : span with { Length = maxLength - span.Start });
        }

        return new ChatRendering(Ids[..maxLength], Mask[..maxLength], spans, truncated: true);
    }
}
