// An episode dataset as a pipeline's data view: the open, validated dataset plus which split to use.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>Episode data for <see cref="MaskedSftTrainer.Fit"/> and <see cref="MaskedSftModel.Transform"/>. Owns the
/// open <see cref="EpisodeDataset"/> (memory-mapped) until disposed.</summary>
public sealed class EpisodeData : IDisposable
{
    internal EpisodeData(EpisodeDataset dataset) => Dataset = dataset;

    /// <summary>The underlying dataset.</summary>
    public EpisodeDataset Dataset { get; }

    /// <summary>The dataset directory.</summary>
    public string Path => Dataset.DirectoryPath;

    /// <inheritdoc />
    public void Dispose() => Dataset.Dispose();
}

/// <summary>Data loading of a <see cref="MaskedSftContext"/>.</summary>
public sealed class EpisodeDataCatalog
{
    internal EpisodeDataCatalog(MaskedSftContext context) => Context = context;

    /// <summary>The owning context.</summary>
    public MaskedSftContext Context { get; }

    /// <summary>Opens and validates an episode dataset directory.</summary>
    /// <param name="path">The dataset directory (see docs/episode-dataset-format.md).</param>
    /// <returns>The data; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="EpisodeDatasetException">The directory is not a valid episode dataset; the message names the file and the problem.</exception>
    public EpisodeData LoadEpisodes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new EpisodeData(EpisodeDataset.Open(path));
    }
}
