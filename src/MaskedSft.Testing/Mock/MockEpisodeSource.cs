// Deterministic batches of mock robot episodes (images, prompts, action tokens with masks, state) from a seed.
using System.Globalization;
using MaskedSft.MLNet.Data;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// Produces <see cref="MockEpisodeBatch"/>es with the structure of real robot-learning data. <see cref="GetBatch"/> is a pure
/// function of (seed, step, process): a resumed run sees exactly the batches it would have seen. Each sample is an
/// (episode, frame) drawn from a finite pool, so keys repeat across steps; a sample's content (image, prompt, action, state)
/// depends only on (seed, episode, frame), so a repeated key has repeated content.
/// </summary>
public sealed class MockEpisodeSource
{
    private static readonly string[] Verbs = ["pick", "push", "pull", "put", "stack", "place"];
    private readonly MockTokenizer _tokenizer;

    /// <summary>Creates the source.</summary>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="tokenizer">The tokenizer; a new <see cref="MockTokenizer"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">When an option is out of range.</exception>
    public MockEpisodeSource(MockEpisodeSourceOptions? options = null, MockTokenizer? tokenizer = null)
    {
        Options = options ?? new MockEpisodeSourceOptions();
        Options.Validate();
        _tokenizer = tokenizer ?? new MockTokenizer();
    }

    /// <summary>The options.</summary>
    public MockEpisodeSourceOptions Options { get; }

    /// <summary>The tokenizer.</summary>
    public MockTokenizer Tokenizer => _tokenizer;

    /// <summary>The batch of <paramref name="step"/> for this process.</summary>
    /// <param name="step">The training step (&gt;= 0).</param>
    /// <returns>The batch.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="step"/> is negative.</exception>
    public MockEpisodeBatch GetBatch(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var o = Options;
        var batch = new MockEpisodeBatch(step, o.BatchSize, o.ImageSize, o.PromptLength, o.ActionLength, o.StateDim);
        var pick = new SplitMix64(SplitMix64.Combine(o.Seed, (ulong)step, (ulong)o.ProcessIndex, 0x5A4D));
        for (int i = 0; i < o.BatchSize; i++)
        {
            int episode = pick.NextInt(o.EpisodeCount);
            int frame = pick.NextInt(o.FramesPerEpisode);
            batch.Episodes[i] = episode;
            batch.Frames[i] = frame;
            batch.Keys[i] = string.Create(CultureInfo.InvariantCulture, $"ep{episode:D5}/f{frame:D2}");
            batch.GlobalIndices[i] = (((step * o.ProcessCount) + o.ProcessIndex) * o.BatchSize) + i;
            FillSample(batch, i, episode, frame);
        }

        return batch;
    }

    /// <summary>The prompt of an episode, e.g. "pick the red block to the blue bowl".</summary>
    /// <param name="episode">The episode.</param>
    /// <returns>The prompt text.</returns>
    public string PromptOf(int episode)
    {
        var g = new SplitMix64(SplitMix64.Combine(Options.Seed, (ulong)episode, 0x50524F4D));
        return $"{Verbs[g.NextInt(Verbs.Length)]} the {MockTokenizer.Colors[g.NextInt(MockTokenizer.Colors.Count)]} " +
            $"{MockTokenizer.Objects[g.NextInt(MockTokenizer.Objects.Count)]} to the {MockTokenizer.Colors[g.NextInt(MockTokenizer.Colors.Count)]} " +
            $"{MockTokenizer.Objects[g.NextInt(MockTokenizer.Objects.Count)]}";
    }

    /// <summary>The action of a frame, e.g. "move right 10cm and move forward 5cm".</summary>
    /// <param name="episode">The episode.</param>
    /// <param name="frame">The frame.</param>
    /// <returns>The action text (at most 3 clauses, each of at most 4 words).</returns>
    public string ActionOf(int episode, int frame)
    {
        var g = new SplitMix64(SplitMix64.Combine(Options.Seed, (ulong)episode, (ulong)frame, 0x41435431));
        int clauses = 1 + g.NextInt(3);
        var parts = new List<string>(clauses);
        for (int c = 0; c < clauses; c++)
        {
            int kind = g.NextInt(10);
            parts.Add(kind switch
            {
                8 => $"rotate {(g.NextInt(2) == 0 ? "clockwise" : "counterclockwise")} {5 * (1 + g.NextInt(18))} degrees",
                9 => $"{(g.NextInt(2) == 0 ? "open" : "close")} gripper",
                _ => $"move {MockTokenizer.Directions[g.NextInt(MockTokenizer.Directions.Count)]} {1 + g.NextInt(MockTokenizer.MaxCentimeters)}cm",
            });
        }

        return string.Join(" and ", parts);
    }

    private void FillSample(MockEpisodeBatch batch, int i, int episode, int frame)
    {
        var prompt = PromptOf(episode);
        var action = ActionOf(episode, frame);
        batch.Prompts[i] = prompt;
        batch.ActionTexts[i] = action;
        CopyTokens(_tokenizer.Encode(prompt, addBos: true), batch.PromptTokens, batch.PromptMask, i, batch.PromptLength);
        CopyTokens(_tokenizer.Encode(action, addEos: true), batch.ActionTokens, batch.ActionMask, i, batch.ActionLength);

        var g = new SplitMix64(SplitMix64.Combine(Options.Seed, (ulong)episode, (ulong)frame, 0x53544154));
        for (int s = 0; s < batch.StateDim; s++)
        {
            batch.State[(i * batch.StateDim) + s] = (float)Math.Sin((0.3 * frame) + (1.7 * s) + (0.011 * episode) + (0.1 * g.NextDouble()));
        }

        DrawImage(batch, i, episode, frame);
    }

    private static void CopyTokens(int[] ids, int[] tokens, bool[] mask, int i, int length)
    {
        int n = Math.Min(ids.Length, length);
        ids.AsSpan(0, n).CopyTo(tokens.AsSpan(i * length, n));
        mask.AsSpan(i * length, n).Fill(true);
    }

    /// <summary>A vertical gradient tinted by the episode, with a colored square whose position follows the frame.</summary>
    private void DrawImage(MockEpisodeBatch batch, int i, int episode, int frame)
    {
        int size = batch.ImageSize;
        var image = batch.Images.AsSpan(i * size * size * 3, size * size * 3);
        var g = new SplitMix64(SplitMix64.Combine(Options.Seed, (ulong)episode, 0x494D4147));
        int r0 = g.NextInt(256), g0 = g.NextInt(256), b0 = g.NextInt(256);
        int br = g.NextInt(256), bg = g.NextInt(256), bb = g.NextInt(256);
        int side = Math.Max(2, size / 6);
        int span = size - side;
        int x0 = (int)((long)span * ((frame * 37) + episode) % (span + 1));
        int y0 = (int)((long)span * ((frame * 13) + (episode * 3)) % (span + 1));
        for (int y = 0; y < size; y++)
        {
            int shade = y * 255 / (size - 1);
            for (int x = 0; x < size; x++)
            {
                int o = ((y * size) + x) * 3;
                bool block = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                image[o] = (byte)(block ? br : (r0 + shade) / 2);
                image[o + 1] = (byte)(block ? bg : (g0 + (x * 255 / (size - 1))) / 2);
                image[o + 2] = (byte)(block ? bb : (b0 + 255 - shade) / 2);
            }
        }
    }
}
