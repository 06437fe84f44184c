// The bench's data: synthetic prompt/response episodes as an episode dataset, plus a raw copy for the Python reference.
using System.Globalization;
using System.Runtime.InteropServices;
using MaskedSft.MLNet.Data;

namespace MaskedSft.Bench.TrainerHardExamples;

/// <summary>
/// Writes <c>episodes</c> episodes of exactly T + 1 random tokens: a prompt of 64..192 tokens (mask 0) then the response
/// (mask 1), so every loader row of T positions is full and about half of its targets are supervised.
/// The raw copy (<c>tokens.i32</c> (E, T + 1), <c>mask.u8</c> (E, T + 1), <c>keys.u64</c> (E), <c>meta.json</c>) holds the
/// same episodes in dataset order, with the keys the dataset gave them, for reference.py.
/// </summary>
internal static class SyntheticEpisodes
{
    /// <summary>Writes the dataset to <paramref name="datasetDirectory"/> and the raw copy to <paramref name="rawDirectory"/>.</summary>
    /// <param name="datasetDirectory">The episode dataset to create.</param>
    /// <param name="rawDirectory">The folder of the raw copy (created).</param>
    /// <param name="episodes">Number of episodes.</param>
    /// <param name="sequence">T: each episode has T + 1 tokens.</param>
    /// <param name="vocab">Tokens are drawn from [1, vocab).</param>
    /// <param name="seed">Seed of the token and prompt-length draws.</param>
    public static void Write(string datasetDirectory, string rawDirectory, int episodes, int sequence, int vocab, int seed)
    {
        var length = sequence + 1;
        var random = new Random(seed);
        var tokens = new int[episodes * length];
        var mask = new byte[episodes * length];
        var keys = new ulong[episodes];
        using (var writer = new EpisodeDatasetWriter(datasetDirectory, new EpisodeDatasetWriterOptions { VocabSize = vocab, PadId = 0 }))
        {
            for (var e = 0; e < episodes; e++)
            {
                var episodeTokens = tokens.AsSpan(e * length, length);
                var episodeMask = mask.AsSpan(e * length, length);
                var prompt = Math.Min(random.Next(64, 193), length - 1);
                for (var i = 0; i < length; i++)
                {
                    episodeTokens[i] = random.Next(1, vocab);
                    episodeMask[i] = (byte)(i >= prompt ? 1 : 0);
                }

                keys[e] = writer.AppendEpisode(episodeTokens, episodeMask);
            }

            writer.Complete();
        }

        Directory.CreateDirectory(rawDirectory);
        File.WriteAllBytes(Path.Combine(rawDirectory, "tokens.i32"), MemoryMarshal.AsBytes(tokens.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(rawDirectory, "mask.u8"), mask);
        File.WriteAllBytes(Path.Combine(rawDirectory, "keys.u64"), MemoryMarshal.AsBytes(keys.AsSpan()).ToArray());
        File.WriteAllText(Path.Combine(rawDirectory, "meta.json"),
            string.Create(CultureInfo.InvariantCulture, $"{{\"episodes\": {episodes}, \"length\": {length}, \"vocab\": {vocab}}}"));
    }
}
