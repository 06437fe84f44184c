// One batch of mock robot episodes as flat arrays: images, prompt and action tokens with masks, state vectors, keys.
namespace MaskedSft.Testing.Mock;

/// <summary>A batch from <see cref="MockEpisodeSource"/>; every array is row-major with the shape in its comment.</summary>
public sealed class MockEpisodeBatch
{
    internal MockEpisodeBatch(long step, int batchSize, int imageSize, int promptLength, int actionLength, int stateDim)
    {
        Step = step;
        BatchSize = batchSize;
        ImageSize = imageSize;
        PromptLength = promptLength;
        ActionLength = actionLength;
        StateDim = stateDim;
        Images = new byte[(long)batchSize * imageSize * imageSize * 3];
        PromptTokens = new int[batchSize * promptLength];
        PromptMask = new bool[batchSize * promptLength];
        ActionTokens = new int[batchSize * actionLength];
        ActionMask = new bool[batchSize * actionLength];
        State = new float[batchSize * stateDim];
        Keys = new string[batchSize];
        GlobalIndices = new long[batchSize];
        Episodes = new int[batchSize];
        Frames = new int[batchSize];
        Prompts = new string[batchSize];
        ActionTexts = new string[batchSize];
    }

    /// <summary>The training step the batch belongs to.</summary>
    public long Step { get; }

    /// <summary>B, the number of samples.</summary>
    public int BatchSize { get; }

    /// <summary>Image height and width.</summary>
    public int ImageSize { get; }

    /// <summary>Tp, prompt tokens per sample.</summary>
    public int PromptLength { get; }

    /// <summary>Ta, action tokens per sample.</summary>
    public int ActionLength { get; }

    /// <summary>S, the robot-state length.</summary>
    public int StateDim { get; }

    /// <summary>RGB images, uint8. (B, H, W, 3)</summary>
    public byte[] Images { get; }

    /// <summary>Prompt token ids, padded with <see cref="MockTokenizer.PadId"/>. (B, Tp)</summary>
    public int[] PromptTokens { get; }

    /// <summary>True where a prompt token is real. (B, Tp)</summary>
    public bool[] PromptMask { get; }

    /// <summary>Action token ids (the supervised targets), ending with EOS, padded. (B, Ta)</summary>
    public int[] ActionTokens { get; }

    /// <summary>The loss mask: true where an action token is real (including EOS). (B, Ta)</summary>
    public bool[] ActionMask { get; }

    /// <summary>Robot-state vectors. (B, S)</summary>
    public float[] State { get; }

    /// <summary>De-duplication keys <c>epNNNNN/fNN</c>. (B)</summary>
    public string[] Keys { get; }

    /// <summary>Global sample indices. (B)</summary>
    public long[] GlobalIndices { get; }

    /// <summary>Episode of each sample. (B)</summary>
    public int[] Episodes { get; }

    /// <summary>Frame of each sample. (B)</summary>
    public int[] Frames { get; }

    /// <summary>The prompt texts. (B)</summary>
    public string[] Prompts { get; }

    /// <summary>The action texts (what the action tokens encode). (B)</summary>
    public string[] ActionTexts { get; }

    /// <summary>The image of sample <paramref name="i"/>, (H, W, 3) uint8.</summary>
    /// <param name="i">Sample index.</param>
    /// <returns>A view of <see cref="Images"/>.</returns>
    public ReadOnlySpan<byte> GetImage(int i)
    {
        int size = ImageSize * ImageSize * 3;
        return Images.AsSpan(i * size, size);
    }
}
