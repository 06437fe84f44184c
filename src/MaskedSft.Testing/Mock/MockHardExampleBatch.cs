// The hard-example payload of a MockEpisodeBatch: decoded action text and a 64x64 PNG thumbnail of the image.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Testing.Imaging;
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>Gives a <see cref="HardExampleTracker"/> the text (decoded supervised action tokens) and thumbnail of mock samples.</summary>
/// <param name="batch">The batch.</param>
/// <param name="decoder">Decodes the action tokens.</param>
/// <param name="thumbnailSize">Thumbnail side (0 for no thumbnails).</param>
public sealed class MockHardExampleBatch(MockEpisodeBatch batch, ITokenDecoder decoder, int thumbnailSize = ImageThumbnail.DefaultSize) : IHardExampleBatch
{
    /// <inheritdoc />
    public int Count => batch.BatchSize;

    /// <inheritdoc />
    public long GetGlobalIndex(int sample) => batch.GlobalIndices[sample];

    /// <inheritdoc />
    public string GetText(int sample)
    {
        var tokens = batch.ActionTokens.AsSpan(sample * batch.ActionLength, batch.ActionLength);
        var mask = batch.ActionMask.AsSpan(sample * batch.ActionLength, batch.ActionLength);
        int n = mask.IndexOf(false);
        return decoder.Decode(tokens[..(n < 0 ? tokens.Length : n)]);
    }

    /// <inheritdoc />
    public byte[]? GetThumbnailPng(int sample)
    {
        if (thumbnailSize <= 0)
        {
            return null;
        }

        using var image = Tensor.FromSpan<byte>(batch.GetImage(sample), [batch.ImageSize, batch.ImageSize, 3]);  // (H, W, 3)
        return ImageThumbnail.EncodePng(image, thumbnailSize);
    }
}
