// What the tracker asks of a batch, only for samples that enter the buffer: global index, decoded text and thumbnail.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// Gives the tracker the payload of a batch's samples. The tracker calls these members only for samples that enter the
/// buffer, so decoding and thumbnail encoding cost nothing for the others.
/// </summary>
public interface IHardExampleBatch
{
    /// <summary>Number of samples in the batch.</summary>
    int Count { get; }

    /// <summary>The sample's index in the global batch order (across processes).</summary>
    /// <param name="sample">Index within this batch.</param>
    /// <returns>The global index.</returns>
    long GetGlobalIndex(int sample);

    /// <summary>The sample's readable text (e.g. its action tokens decoded by a tokenizer).</summary>
    /// <param name="sample">Index within this batch.</param>
    /// <returns>The text.</returns>
    string GetText(int sample);

    /// <summary>A PNG thumbnail of the sample's image, or null when it has none.</summary>
    /// <param name="sample">Index within this batch.</param>
    /// <returns>The PNG bytes or null.</returns>
    byte[]? GetThumbnailPng(int sample);
}
