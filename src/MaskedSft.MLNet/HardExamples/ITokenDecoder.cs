// The one tokenizer capability hard-example tracking needs: token ids to readable text.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>Turns token ids into text, for showing hard examples.</summary>
public interface ITokenDecoder
{
    /// <summary>Decodes <paramref name="tokenIds"/>.</summary>
    /// <param name="tokenIds">The ids.</param>
    /// <returns>The text.</returns>
    string Decode(ReadOnlySpan<int> tokenIds);
}
