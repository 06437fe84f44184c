// An episode dataset directory as an ML.NET IDataView: lazy, memory-mapped, cursor based, shuffleable, row count known.
using MaskedSft.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// An episode dataset (docs/episode-dataset-format.md) as an <see cref="IDataView"/> with the columns of
/// <see cref="EpisodeColumns"/>: <c>Tokens</c>, <c>LossMask</c>, <c>Key</c>, and <c>Advantages</c>, <c>Score</c>,
/// <c>Group</c> when the dataset has them. Nothing is read until a cursor asks: each cursor maps the files (the content
/// was verified once when the view was made) and copies an episode's values only when a getter is called. Shuffling is
/// supported (<see cref="CanShuffle"/>), the row count is known, and the view holds no open file between cursors.
/// </summary>
public sealed class EpisodeDataView : IDataView
{
    private readonly int[] _episodes; // episode index of each row

    internal EpisodeDataView(string directory, DatasetSplit? split)
    {
        using var dataset = EpisodeDataset.Open(directory);
        DirectoryPath = dataset.DirectoryPath;
        DatasetId = dataset.Header.DatasetId;
        Split = split;
        Header = dataset.Header;
        _episodes = [.. Enumerable.Range(0, dataset.EpisodeCount).Where(e => split is not { } only || dataset.GetEpisode(e).Split == only)];
        Schema = BuildSchema(dataset.Header);
    }

    /// <summary>The dataset directory.</summary>
    public string DirectoryPath { get; }

    /// <summary>The split the view shows, or null for every episode.</summary>
    public DatasetSplit? Split { get; }

    /// <summary>The dataset's header (dataset.json).</summary>
    public EpisodeDatasetHeader Header { get; }

    /// <summary>Whether the view shows every episode of the dataset (no split filter).</summary>
    internal bool IsWholeDataset => Split is null;

    /// <inheritdoc />
    public bool CanShuffle => true;

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    private string? DatasetId { get; }

    /// <inheritdoc />
    public long? GetRowCount() => _episodes.Length;

    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            active[column.Index] = true;
        }

        int[] order = _episodes;
        if (rand is not null)
        {
            order = (int[])_episodes.Clone();
            rand.Shuffle(order);
        }

        var dataset = EpisodeDataset.Open(DirectoryPath, EpisodeVerification.Structure);
        if (dataset.Header.DatasetId != DatasetId)
        {
            dataset.Dispose();
            throw new InvalidOperationException($"{DirectoryPath}: the dataset was replaced since it was loaded (dataset id {DatasetId} is now {dataset.Header.DatasetId}). Hint: call LoadEpisodes again.");
        }

        return new EpisodeRowCursor(this, dataset, order, active);
    }

    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private static DataViewSchema BuildSchema(EpisodeDatasetHeader header)
    {
        var annotations = new DataViewSchema.Annotations.Builder();
        int vocab = header.VocabSize;
        int pad = header.PadId;
        annotations.Add(EpisodeColumns.VocabSizeAnnotation, NumberDataViewType.Int32, (ref int v) => v = vocab);
        annotations.Add(EpisodeColumns.PadIdAnnotation, NumberDataViewType.Int32, (ref int v) => v = pad);
        if (header.Tokenizer?.Name is { } name)
        {
            annotations.Add(EpisodeColumns.TokenizerNameAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = name.AsMemory());
        }

        if (header.Tokenizer?.Fingerprint is { } fingerprint)
        {
            annotations.Add(EpisodeColumns.TokenizerFingerprintAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> v) => v = fingerprint.AsMemory());
        }

        var builder = new DataViewSchema.Builder();
        builder.AddColumn(EpisodeColumns.Tokens, EpisodeColumns.TokensType, annotations.ToAnnotations());
        builder.AddColumn(EpisodeColumns.LossMask, EpisodeColumns.LossMaskType);
        if (header.HasAdvantages)
        {
            builder.AddColumn(EpisodeColumns.Advantages, EpisodeColumns.AdvantagesType);
        }

        builder.AddColumn(EpisodeColumns.Key, NumberDataViewType.UInt64);
        if (header.HasScores)
        {
            builder.AddColumn(EpisodeColumns.Score, NumberDataViewType.Double);
        }

        if (header.HasGroups)
        {
            builder.AddColumn(EpisodeColumns.Group, NumberDataViewType.Int64);
        }

        return builder.ToSchema();
    }
}
