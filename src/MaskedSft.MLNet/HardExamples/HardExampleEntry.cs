// One tracked hard example: its loss, steps, origin (process, global index, key), decoded text and optional PNG thumbnail.
namespace MaskedSft.MLNet.HardExamples;

/// <summary>
/// A hard example in the buffer. When a key is admitted again, <see cref="Loss"/> becomes the highest loss seen for it and
/// <see cref="Step"/> the latest step; <see cref="MaxLossStep"/>, <see cref="GlobalIndex"/>, <see cref="ProcessIndex"/>,
/// <see cref="Text"/> and <see cref="ThumbnailPng"/> describe the occurrence with the highest loss.
/// </summary>
public sealed record HardExampleEntry
{
    /// <summary>The highest admitted loss of this key.</summary>
    public required double Loss { get; init; }

    /// <summary>The latest step at which the key was admitted.</summary>
    public required long Step { get; init; }

    /// <summary>The step of the occurrence with the highest loss.</summary>
    public required long MaxLossStep { get; init; }

    /// <summary>The process that saw the highest-loss occurrence.</summary>
    public required int ProcessIndex { get; init; }

    /// <summary>The sample's index in the global batch order (across processes).</summary>
    public required long GlobalIndex { get; init; }

    /// <summary>The de-duplication key (e.g. episode id and frame).</summary>
    public required string Key { get; init; }

    /// <summary>The decoded text of the sample (e.g. its action tokens).</summary>
    public required string Text { get; init; }

    /// <summary>A PNG thumbnail of the sample's image, or null.</summary>
    public byte[]? ThumbnailPng { get; init; }

    /// <summary>How many times the key was admitted while tracked.</summary>
    public long SeenCount { get; init; } = 1;
}
