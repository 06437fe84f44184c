// The IHardExampleBatch of one benchmark step: decodes action-token rows and optionally PNG-encodes pooled 64x64 images.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Testing.Imaging;
using MaskedSft.Torch;

namespace MaskedSft.Bench.HardExamples;

/// <summary>How a benchmark batch makes thumbnails.</summary>
internal enum ThumbnailKind
{
    /// <summary>No thumbnails.</summary>
    None,

    /// <summary>PNG-encode a pooled 64x64 image.</summary>
    Png64,

    /// <summary>Resize a pooled 128x128 image with libtorch's interpolate (ImageThumbnail), then PNG-encode it.</summary>
    Resize128,
}

/// <summary>Payload of one step: sample i of step s has key id k = KeyIds[s, i], token row k % 1024 and image k % 64.</summary>
internal sealed class BenchBatch(BenchStream stream, ThumbnailKind thumbnails) : IHardExampleBatch
{
    private int _step;

    public int Count => stream.Batch;

    /// <summary>How many payloads (text + thumbnail) the tracker fetched: samples that entered the buffer.</summary>
    public long Fetches { get; private set; }

    public void MoveTo(int step) => _step = step;

    private int KeyId(int sample) => stream.KeyIds[(_step * stream.Batch) + sample];

    public long GetGlobalIndex(int sample) => ((long)_step * stream.Batch) + sample;

    public string GetText(int sample)
    {
        Fetches++;
        return stream.Tokenizer.Decode(stream.Tokens.AsSpan(KeyId(sample) % BenchStream.TokenRows * BenchStream.TokenLength, BenchStream.TokenLength));
    }

    public byte[]? GetThumbnailPng(int sample)
    {
        int image = KeyId(sample) % BenchStream.ImagePool;
        switch (thumbnails)
        {
            case ThumbnailKind.Png64:
                const int size = BenchStream.ImageSide * BenchStream.ImageSide * 3;
                return PngEncoder.Encode(stream.Images.AsSpan(image * size, size), BenchStream.ImageSide, BenchStream.ImageSide, 3);
            case ThumbnailKind.Resize128:
                const int sourceSize = BenchStream.SourceSide * BenchStream.SourceSide * 3;
                using (var tensor = Tensor.FromSpan<byte>(stream.SourceImages.AsSpan(image * sourceSize, sourceSize), [BenchStream.SourceSide, BenchStream.SourceSide, 3]))
                {
                    return ImageThumbnail.EncodePng(tensor);
                }

            default:
                return null;
        }
    }
}
