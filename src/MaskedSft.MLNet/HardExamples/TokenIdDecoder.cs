// The fallback ITokenDecoder: shows token ids as text when no tokenizer is at hand.
using System.Globalization;
using System.Text;

namespace MaskedSft.MLNet.HardExamples;

/// <summary>Renders token ids as <c>[ids 12 345 6]</c>, for hard examples of data whose tokenizer is not available.</summary>
public sealed class TokenIdDecoder : ITokenDecoder
{
    /// <summary>The shared instance.</summary>
    public static TokenIdDecoder Instance { get; } = new();

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> tokenIds)
    {
        var text = new StringBuilder("[ids", 5 + (tokenIds.Length * 6));
        foreach (var id in tokenIds) text.Append(' ').Append(id.ToString(CultureInfo.InvariantCulture));
        return text.Append(']').ToString();
    }
}
