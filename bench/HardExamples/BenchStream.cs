// The benchmark's input: per-step losses and key ids, action-token rows and 64x64 images, shared with the Python side via files.
using System.Runtime.InteropServices;
using System.Text.Json;
using MaskedSft.Testing.Mock;

namespace MaskedSft.Bench.HardExamples;

/// <summary>A deterministic stream of (losses, keys) per step plus the payload pools, written to a folder for Python to read.</summary>
internal sealed class BenchStream
{
    public const int TokenRows = 1024;
    public const int TokenLength = 16;
    public const int ImagePool = 64;
    public const int ImageSide = 64;
    public const int SourceSide = 128;

    public BenchStream(int steps, int batch, int keyPool, ulong seed)
    {
        Steps = steps;
        Batch = batch;
        Losses = new float[steps * batch];
        KeyIds = new int[steps * batch];
        var rng = new Random((int)seed);
        for (int i = 0; i < Losses.Length; i++)
        {
            // About 12% high losses in [3, 10], the rest in [0.5, 2], and a rare NaN.
            double u = rng.NextDouble();
            Losses[i] = u < 0.0005 ? float.NaN : (float)(u < 0.12 ? 3 + (7 * rng.NextDouble()) : 0.5 + (1.5 * rng.NextDouble()));
            KeyIds[i] = rng.Next(keyPool);
        }

        Keys = Enumerable.Range(0, keyPool).Select(k => $"ep{k / 8:D6}/f{k % 8:D2}").ToArray();
        var source = new MockEpisodeSource(new MockEpisodeSourceOptions { Seed = seed });
        Tokens = new int[TokenRows * TokenLength];
        for (int r = 0; r < TokenRows; r++)
        {
            var ids = Tokenizer.Encode(source.ActionOf(r, r % 8), addEos: true);
            ids.AsSpan(0, Math.Min(ids.Length, TokenLength)).CopyTo(Tokens.AsSpan(r * TokenLength));
        }

        Images = new byte[ImagePool * ImageSide * ImageSide * 3];
        var batchImages = new MockEpisodeSource(new MockEpisodeSourceOptions { Seed = seed, BatchSize = ImagePool, ImageSize = ImageSide }).GetBatch(0);
        batchImages.Images.CopyTo(Images, 0);
        SourceImages = new MockEpisodeSource(new MockEpisodeSourceOptions { Seed = seed, BatchSize = ImagePool, ImageSize = SourceSide }).GetBatch(0).Images;
    }

    public MockTokenizer Tokenizer { get; } = new();

    public int Steps { get; }

    public int Batch { get; }

    public float[] Losses { get; }  // (steps, batch)

    public int[] KeyIds { get; }    // (steps, batch)

    public string[] Keys { get; }   // (keyPool)

    public int[] Tokens { get; }    // (TokenRows, TokenLength)

    public byte[] Images { get; }   // (ImagePool, 64, 64, 3)

    public byte[] SourceImages { get; }   // (ImagePool, 128, 128, 3)

    /// <summary>Writes losses.f32, key_ids.i32, tokens.i32, images.u8 and meta.json into <paramref name="directory"/>.</summary>
    public void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "losses.f32"), MemoryMarshal.AsBytes(Losses.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "key_ids.i32"), MemoryMarshal.AsBytes(KeyIds.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "tokens.i32"), MemoryMarshal.AsBytes(Tokens.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(directory, "images.u8"), Images);
        File.WriteAllBytes(Path.Combine(directory, "images128.u8"), SourceImages);
        var meta = new
        {
            steps = Steps,
            batch = Batch,
            keys = Keys,
            vocabulary = Enumerable.Range(0, MockTokenizer.VocabSize).Select(Tokenizer.IdToToken).ToArray(),
            token_rows = TokenRows,
            token_length = TokenLength,
            image_pool = ImagePool,
            image_side = ImageSide,
            source_side = SourceSide,
        };
        File.WriteAllText(Path.Combine(directory, "meta.json"), JsonSerializer.Serialize(meta));
    }
}
