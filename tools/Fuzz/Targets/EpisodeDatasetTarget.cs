// Fuzz target: an episode dataset folder (dataset.json, index.bin, tokens.bin, mask.bin, advantages.bin) opened, verified,
// read episode by episode and batched by the loader.
using MaskedSft.MLNet.Data;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>Episode datasets (docs/episode-dataset-format.md) through <see cref="EpisodeDataset.Open"/> and <see cref="EpisodeDataLoader"/>.</summary>
public sealed class EpisodeDatasetTarget : FuzzTarget
{
    /// <inheritdoc/>
    public override string Name => "episodes";

    /// <inheritdoc/>
    public override string Description => "episode dataset: dataset.json, index.bin, tokens.bin, mask.bin, advantages.bin; Open (structure and full), every episode, an epoch of the loader";

    /// <inheritdoc/>
    public override IReadOnlyList<(string File, FuzzFileKind Kind)> Files { get; } =
    [
        ("dataset.json", FuzzFileKind.Json), ("index.bin", FuzzFileKind.Binary), ("tokens.bin", FuzzFileKind.Binary),
        ("mask.bin", FuzzFileKind.Binary), ("advantages.bin", FuzzFileKind.Binary),
    ];

    /// <inheritdoc/>
    public override void WriteSeed(string folder)
    {
        var random = new Random(5);
        using var writer = new EpisodeDatasetWriter(folder, new EpisodeDatasetWriterOptions
        {
            VocabSize = 300, PadId = 0, WithAdvantages = true, Tokenizer = new TokenizerIdentity { Name = "fuzz" }, ValidationFraction = 0.25, Overwrite = true,
        });
        for (int e = 0; e < 12; e++)
        {
            int length = random.Next(2, 24);
            int[] tokens = [.. Enumerable.Range(0, length).Select(_ => random.Next(1, 300))];
            byte[] mask = [.. Enumerable.Range(0, length).Select(i => (byte)(i >= length / 2 ? 1 : 0))];
            float[] advantages = [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() - 0.5))];
            writer.AppendEpisode(tokens, mask, advantages, new EpisodeMetadata { Score = e * 0.5, GroupId = e / 4 });
        }

        writer.Complete();
    }

    /// <inheritdoc/>
    public override void Consume(string folder)
    {
        using (var structure = EpisodeDataset.Open(folder, EpisodeVerification.Structure))
        {
            for (int i = 0; i < structure.EpisodeCount; i++)
            {
                _ = structure.GetEpisode(i);
                _ = structure.GetEpisodeTokens(i);
                _ = structure.GetEpisodeMask(i);
                _ = structure.GetEpisodeAdvantages(i);
            }
        }

        _ = EpisodeDataset.Verify(folder);
        using var dataset = EpisodeDataset.Open(folder);
        _ = dataset.ComputeStatistics();
        var loader = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 2, BlockSize = 16, DropLast = false });
        foreach (var batch in loader.EnumerateEpoch()) _ = batch;
    }

    /// <inheritdoc/>
    public override bool IsDocumented(Exception exception) => exception is EpisodeDatasetException;
}
