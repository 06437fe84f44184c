// The opened parts of a validated episode dataset: parsed header and the memory-mapped index, token, mask and advantage files.
namespace MaskedSft.MLNet.Data;

/// <summary>The header and mappings of one dataset directory; disposing unmaps every file.</summary>
internal sealed class EpisodeDatasetFiles : IDisposable
{
    /// <summary>The full path of the dataset directory.</summary>
    public required string Directory { get; init; }

    /// <summary>The parsed dataset.json.</summary>
    public required EpisodeDatasetHeader Header { get; init; }

    /// <summary>index.bin.</summary>
    public MappedFile? Index { get; set; }

    /// <summary>tokens.bin.</summary>
    public MappedFile? Tokens { get; set; }

    /// <summary>mask.bin.</summary>
    public MappedFile? Mask { get; set; }

    /// <summary>advantages.bin, when the dataset has advantages.</summary>
    public MappedFile? Advantages { get; set; }

    /// <inheritdoc />
    public void Dispose()
    {
        Index?.Dispose();
        Tokens?.Dispose();
        Mask?.Dispose();
        Advantages?.Dispose();
    }
}
