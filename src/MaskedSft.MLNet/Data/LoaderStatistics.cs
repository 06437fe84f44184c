// What a loader made of its split: samples, long-episode handling (truncation rate, dropped supervised targets), padding.
namespace MaskedSft.MLNet.Data;

/// <summary>Counts computed when an <see cref="EpisodeDataLoader"/> is built; one epoch visits every sample once.</summary>
public sealed record LoaderStatistics
{
    /// <summary>The split the loader reads.</summary>
    public DatasetSplit Split { get; init; }

    /// <summary>Episodes in the split.</summary>
    public long EpisodeCount { get; init; }

    /// <summary>Episodes of one token (no target), skipped.</summary>
    public long SingleTokenEpisodesSkipped { get; init; }

    /// <summary>Episodes with more targets than the block size.</summary>
    public long LongEpisodeCount { get; init; }

    /// <summary>Long episodes truncated (policy <see cref="LongEpisodePolicy.Truncate"/>).</summary>
    public long TruncatedEpisodeCount { get; init; }

    /// <summary>Long episodes cut into windows (policy <see cref="LongEpisodePolicy.SplitIntoWindows"/>).</summary>
    public long WindowedEpisodeCount { get; init; }

    /// <summary>Samples (rows) per epoch.</summary>
    public long SampleCount { get; init; }

    /// <summary>Samples without any supervised target (kept unless skipping is on).</summary>
    public long SamplesWithoutSupervisedTarget { get; init; }

    /// <summary>Samples dropped by <see cref="EpisodeLoaderOptions.SkipSamplesWithoutSupervisedTarget"/>.</summary>
    public long SamplesSkipped { get; init; }

    /// <summary>Targets kept in the samples.</summary>
    public long TargetCount { get; init; }

    /// <summary>Targets dropped (by truncation or skipping).</summary>
    public long TargetsDropped { get; init; }

    /// <summary>Supervised targets kept in the samples.</summary>
    public long SupervisedTargetCount { get; init; }

    /// <summary>Supervised targets dropped by truncation.</summary>
    public long SupervisedTargetsDropped { get; init; }

    /// <summary>Batches per epoch (global batches of WorldSize x BatchSize rows; each rank reads its share of every one).</summary>
    public long BatchesPerEpoch { get; init; }

    /// <summary>Block size T used to build the samples.</summary>
    public int BlockSize { get; init; }

    /// <summary>Fraction of the split's episodes that were truncated.</summary>
    public double TruncationRate => EpisodeCount == 0 ? 0 : (double)TruncatedEpisodeCount / EpisodeCount;

    /// <summary>Fraction of the split's supervised targets lost to truncation.</summary>
    public double SupervisedDroppedFraction =>
        SupervisedTargetCount + SupervisedTargetsDropped == 0 ? 0 : (double)SupervisedTargetsDropped / (SupervisedTargetCount + SupervisedTargetsDropped);

    /// <summary>Fraction of the (row, position) slots of an epoch that are padding.</summary>
    public double PaddingFraction => Rows == 0 ? 0 : 1 - ((double)TargetCount / ((double)Rows * BlockSize));

    /// <summary>Rows an epoch yields with <see cref="EpisodeLoaderOptions.Packing"/> (several samples each); 0 without packing.</summary>
    public long PackedRowCount { get; init; }

    private long Rows => PackedRowCount > 0 ? PackedRowCount : SampleCount;
}
