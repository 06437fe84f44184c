// Test fixtures of the data area: temporary directories and small seeded synthetic episode datasets.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

/// <summary>A unique temporary directory deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "maskedsft-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One synthetic episode as the writer receives it.</summary>
internal sealed record SyntheticEpisode(int[] Tokens, byte[] Mask, float[]? Advantages, EpisodeMetadata Metadata);

/// <summary>Builders of seeded synthetic episodes and datasets.</summary>
internal static class EpisodeFixtures
{
    public const int Gpt2Vocab = 50304;
    public const int ResponseToken = 42;
    public const int PadId = 50256;

    /// <summary>The seed suite's synthetic SFT data: a random prompt (mask 0) then a response of token 42 (mask 1).</summary>
    public static List<SyntheticEpisode> PromptResponse(int count, int promptLength, int responseLength, int seed, int validationEvery = 0)
    {
        var random = new Random(seed);
        var episodes = new List<SyntheticEpisode>();
        for (var e = 0; e < count; e++)
        {
            var tokens = new int[promptLength + responseLength];
            var mask = new byte[tokens.Length];
            for (var i = 0; i < promptLength; i++)
            {
                tokens[i] = random.Next(100, Gpt2Vocab - 100);
            }

            for (var i = promptLength; i < tokens.Length; i++)
            {
                tokens[i] = ResponseToken;
                mask[i] = 1;
            }

            var split = validationEvery > 0 && e % validationEvery == validationEvery - 1 ? DatasetSplit.Validation : DatasetSplit.Train;
            episodes.Add(new SyntheticEpisode(tokens, mask, null, new EpisodeMetadata { Split = split }));
        }

        return episodes;
    }

    /// <summary>Episodes of random lengths in [minLength, maxLength] with random tokens, masks and (optionally) advantages.</summary>
    public static List<SyntheticEpisode> Random(int count, int minLength, int maxLength, int seed, bool advantages = false, int vocab = Gpt2Vocab, double validationFraction = 0)
    {
        var random = new Random(seed);
        var episodes = new List<SyntheticEpisode>();
        for (var e = 0; e < count; e++)
        {
            var length = random.Next(minLength, maxLength + 1);
            var tokens = new int[length];
            var mask = new byte[length];
            var adv = advantages ? new float[length] : null;
            for (var i = 0; i < length; i++)
            {
                tokens[i] = random.Next(vocab);
                mask[i] = (byte)random.Next(2);
                if (adv is not null)
                {
                    adv[i] = (float)((random.NextDouble() * 4) - 2);
                }
            }

            var split = random.NextDouble() < validationFraction ? DatasetSplit.Validation : DatasetSplit.Train;
            episodes.Add(new SyntheticEpisode(tokens, mask, adv, new EpisodeMetadata
            {
                Split = split,
                Score = advantages ? random.NextDouble() : null,
                GroupId = advantages ? e / 4 : null,
            }));
        }

        return episodes;
    }

    /// <summary>Writes episodes into a new dataset directory and returns its path.</summary>
    public static string Write(string path, IEnumerable<SyntheticEpisode> episodes, int vocab = Gpt2Vocab, int padId = PadId, bool advantages = false)
    {
        using var writer = new EpisodeDatasetWriter(path, new EpisodeDatasetWriterOptions
        {
            VocabSize = vocab,
            PadId = padId,
            WithAdvantages = advantages,
            Tokenizer = new TokenizerIdentity { Name = "synthetic" },
            Source = "unit test",
        });
        foreach (var episode in episodes)
        {
            writer.AppendEpisode(episode.Tokens, episode.Mask, episode.Advantages, episode.Metadata);
        }

        writer.Complete();
        return path;
    }

    /// <summary>Overwrites bytes of a file in place.</summary>
    public static void Patch(string file, long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    /// <summary>Replaces one JSON property's raw value in dataset.json.</summary>
    public static void EditHeader(string directory, string property, string rawValue)
    {
        var path = System.IO.Path.Combine(directory, EpisodeDatasetFormat.HeaderFileName);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        node[property] = System.Text.Json.Nodes.JsonNode.Parse(rawValue);
        File.WriteAllText(path, node.ToJsonString());
    }

    /// <summary>Copies every buffer of a batch, for comparisons across loaders.</summary>
    public static BatchSnapshot Snapshot(EpisodeBatch batch) => new(
        batch.Epoch,
        batch.BatchIndex,
        batch.Inputs.ToArray(),
        batch.Targets.ToArray(),
        batch.LossMask.ToArray(),
        batch.Advantages.ToArray(),
        batch.EpisodeIndices.ToArray(),
        batch.WindowStarts.ToArray());
}

/// <summary>A copy of a batch's content.</summary>
internal sealed record BatchSnapshot(long Epoch, long BatchIndex, long[] X, long[] Y, float[] Mask, float[] Advantages, int[] Episodes, int[] Starts)
{
    public bool SameAs(BatchSnapshot other) =>
        Epoch == other.Epoch && BatchIndex == other.BatchIndex
        && X.AsSpan().SequenceEqual(other.X) && Y.AsSpan().SequenceEqual(other.Y)
        && Mask.AsSpan().SequenceEqual(other.Mask) && Advantages.AsSpan().SequenceEqual(other.Advantages)
        && Episodes.AsSpan().SequenceEqual(other.Episodes) && Starts.AsSpan().SequenceEqual(other.Starts);
}
