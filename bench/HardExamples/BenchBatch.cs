// The IHardExampleBatch of one benchmark step: decodes action-token rows and optionally PNG-encodes pooled 64x64 images.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.HardExamples.Imaging;

namespace MaskedSft.Bench.HardExamples;

/// <summary>Payload of one step: sample i of step s has key id k = KeyIds[s, i], token row k % 1024 and image k % 64.</summary>
internal sealed class BenchBatch(BenchStream stream, bool thumbnails) : IHardExampleBatch
{
    private int _step;

    public int Count => stream.Batch;

    public void MoveTo(int step) => _step = step;

    private int KeyId(int sample) => stream.KeyIds[(_step * stream.Batch) + sample];

    public long GetGlobalIndex(int sample) => ((long)_step * stream.Batch) + sample;

    public string GetText(int sample) =>
        stream.Tokenizer.Decode(stream.Tokens.AsSpan(KeyId(sample) % BenchStream.TokenRows * BenchStream.TokenLength, BenchStream.TokenLength));

    public byte[]? GetThumbnailPng(int sample)
    {
        if (!thumbnails)
        {
            return null;
        }

        const int size = BenchStream.ImageSide * BenchStream.ImageSide * 3;
        return PngEncoder.Encode(stream.Images.AsSpan(KeyId(sample) % BenchStream.ImagePool * size, size), BenchStream.ImageSide, BenchStream.ImageSide, 3);
    }
}
