// A MockEpisodeBatch as tensors (images, tokens, masks, state) plus each sample's content-derived difficulty.
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>The tensors of a <see cref="MockEpisodeBatch"/>; dispose to free them.</summary>
public sealed class MockEpisodeTensors : IDisposable
{
    private MockEpisodeTensors(MockEpisodeBatch batch, Tensor images, Tensor promptTokens, Tensor promptMask, Tensor actionTokens,
        Tensor actionMask, Tensor state, Tensor difficulty)
    {
        Batch = batch;
        Images = images;
        PromptTokens = promptTokens;
        PromptMask = promptMask;
        ActionTokens = actionTokens;
        ActionMask = actionMask;
        State = state;
        Difficulty = difficulty;
    }

    /// <summary>The batch the tensors were made from.</summary>
    public MockEpisodeBatch Batch { get; }

    /// <summary>RGB images, uint8. (B, H, W, 3)</summary>
    public Tensor Images { get; }

    /// <summary>Prompt token ids, int64. (B, Tp)</summary>
    public Tensor PromptTokens { get; }

    /// <summary>Prompt mask, bool. (B, Tp)</summary>
    public Tensor PromptMask { get; }

    /// <summary>Action token ids (targets), int64. (B, Ta)</summary>
    public Tensor ActionTokens { get; }

    /// <summary>Loss mask over the action tokens, bool. (B, Ta)</summary>
    public Tensor ActionMask { get; }

    /// <summary>Robot state, float32. (B, S)</summary>
    public Tensor State { get; }

    /// <summary>Per-sample difficulty from <see cref="MockLossModel.ContentDifficulty"/>, float32. (B)</summary>
    public Tensor Difficulty { get; }

    /// <summary>Makes the tensors of <paramref name="batch"/>.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="device">Where to place them (CPU when null).</param>
    /// <returns>The tensors; the caller disposes them (or a surrounding DisposeScope does).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="batch"/> is null.</exception>
    public static MockEpisodeTensors From(MockEpisodeBatch batch, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long b = batch.BatchSize;
        var difficulty = new float[b];
        for (int i = 0; i < b; i++)
        {
            difficulty[i] = (float)MockLossModel.ContentDifficulty(batch, i);
        }

        return new MockEpisodeTensors(
            batch,
            Tensor.FromSpan<byte>(batch.Images, [b, batch.ImageSize, batch.ImageSize, 3], device),
            Tensor.FromSpan<long>(Array.ConvertAll(batch.PromptTokens, x => (long)x), [b, batch.PromptLength], device),
            Tensor.FromSpan<bool>(batch.PromptMask, [b, batch.PromptLength], device),
            Tensor.FromSpan<long>(Array.ConvertAll(batch.ActionTokens, x => (long)x), [b, batch.ActionLength], device),
            Tensor.FromSpan<bool>(batch.ActionMask, [b, batch.ActionLength], device),
            Tensor.FromSpan<float>(batch.State, [b, batch.StateDim], device),
            Tensor.FromSpan<float>(difficulty, [b], device));
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        PromptTokens.Dispose();
        PromptMask.Dispose();
        ActionTokens.Dispose();
        ActionMask.Dispose();
        State.Dispose();
        Difficulty.Dispose();
    }
}
