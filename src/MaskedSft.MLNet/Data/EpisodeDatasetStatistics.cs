// Summary statistics of an episode dataset: counts per split, supervised targets, lengths and a power-of-two length histogram.
namespace MaskedSft.MLNet.Data;

/// <summary>Counts and distributions of an <see cref="EpisodeDataset"/>, as printed by <c>maskedsft dataset info</c>.</summary>
public sealed class EpisodeDatasetStatistics
{
    private EpisodeDatasetStatistics()
    {
    }

    /// <summary>Number of episodes.</summary>
    public long EpisodeCount { get; private init; }

    /// <summary>Number of training episodes.</summary>
    public long TrainEpisodeCount { get; private init; }

    /// <summary>Number of validation episodes.</summary>
    public long ValidationEpisodeCount { get; private init; }

    /// <summary>Number of tokens.</summary>
    public long TokenCount { get; private init; }

    /// <summary>Number of tokens of training episodes.</summary>
    public long TrainTokenCount { get; private init; }

    /// <summary>Number of tokens of validation episodes.</summary>
    public long ValidationTokenCount { get; private init; }

    /// <summary>Number of targets (every token but the first of each episode).</summary>
    public long TargetCount { get; private init; }

    /// <summary>Number of targets with mask 1.</summary>
    public long SupervisedTargetCount { get; private init; }

    /// <summary>Number of supervised targets of training episodes.</summary>
    public long TrainSupervisedTargetCount { get; private init; }

    /// <summary>Number of supervised targets of validation episodes.</summary>
    public long ValidationSupervisedTargetCount { get; private init; }

    /// <summary>Fraction of targets that are supervised.</summary>
    public double SupervisedFraction => TargetCount == 0 ? 0 : (double)SupervisedTargetCount / TargetCount;

    /// <summary>Episodes with no supervised target (nothing to learn from; often a truncation or template problem).</summary>
    public long EpisodesWithoutSupervisedTarget { get; private init; }

    /// <summary>Episodes whose every target is supervised (often a missing mask).</summary>
    public long FullySupervisedEpisodes { get; private init; }

    /// <summary>Shortest episode length, 0 for an empty dataset.</summary>
    public int MinLength { get; private init; }

    /// <summary>Longest episode length, 0 for an empty dataset.</summary>
    public int MaxLength { get; private init; }

    /// <summary>Mean episode length, 0 for an empty dataset.</summary>
    public double MeanLength => EpisodeCount == 0 ? 0 : (double)TokenCount / EpisodeCount;

    /// <summary>Episodes that carry a score.</summary>
    public long ScoredEpisodeCount { get; private init; }

    /// <summary>Number of distinct group ids.</summary>
    public long DistinctGroupCount { get; private init; }

    /// <summary>Episode counts by length in power-of-two buckets [1,1], [2,3], [4,7], ...; empty buckets at the ends omitted.</summary>
    public IReadOnlyList<LengthHistogramBucket> LengthHistogram { get; private init; } = [];

    /// <summary>Computes the statistics of an open dataset.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static EpisodeDatasetStatistics Compute(EpisodeDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var buckets = new long[32];
        long train = 0, trainTokens = 0, validationTokens = 0, trainSupervised = 0, validationSupervised = 0;
        long none = 0, all = 0, scored = 0;
        int min = int.MaxValue, max = 0;
        var groups = new HashSet<long>();
        for (var e = 0; e < dataset.EpisodeCount; e++)
        {
            ref readonly var entry = ref dataset.Entry(e);
            var supervised = dataset.GetMask(entry.TokenOffset + 1, entry.Length - 1).Count((byte)1);
            if (entry.Split == (byte)DatasetSplit.Validation)
            {
                validationTokens += entry.Length;
                validationSupervised += supervised;
            }
            else
            {
                train++;
                trainTokens += entry.Length;
                trainSupervised += supervised;
            }

            none += supervised == 0 ? 1 : 0;
            all += supervised == entry.Length - 1 && entry.Length > 1 ? 1 : 0;
            min = Math.Min(min, entry.Length);
            max = Math.Max(max, entry.Length);
            buckets[31 - int.LeadingZeroCount(entry.Length)]++;
            scored += (entry.Flags & EpisodeDatasetFormat.FlagHasScore) != 0 ? 1 : 0;
            if ((entry.Flags & EpisodeDatasetFormat.FlagHasGroup) != 0)
            {
                groups.Add(entry.GroupId);
            }
        }

        var histogram = new List<LengthHistogramBucket>();
        var first = Array.FindIndex(buckets, c => c > 0);
        var last = Array.FindLastIndex(buckets, c => c > 0);
        for (var b = first; b >= 0 && b <= last; b++)
        {
            histogram.Add(new LengthHistogramBucket(1 << b, b == 30 ? int.MaxValue : (1 << (b + 1)) - 1, buckets[b]));
        }

        var count = dataset.EpisodeCount;
        return new EpisodeDatasetStatistics
        {
            EpisodeCount = count,
            TrainEpisodeCount = train,
            ValidationEpisodeCount = count - train,
            TokenCount = trainTokens + validationTokens,
            TrainTokenCount = trainTokens,
            ValidationTokenCount = validationTokens,
            TargetCount = trainTokens + validationTokens - count,
            SupervisedTargetCount = trainSupervised + validationSupervised,
            TrainSupervisedTargetCount = trainSupervised,
            ValidationSupervisedTargetCount = validationSupervised,
            EpisodesWithoutSupervisedTarget = none,
            FullySupervisedEpisodes = all,
            MinLength = count == 0 ? 0 : min,
            MaxLength = max,
            ScoredEpisodeCount = scored,
            DistinctGroupCount = groups.Count,
            LengthHistogram = histogram,
        };
    }
}
