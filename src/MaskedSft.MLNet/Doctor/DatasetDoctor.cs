// Dataset checks of the doctor: mask content, loader alignment, truncation, reward groups (failure modes 1-4, 7, 11).
using System.Globalization;
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Doctor;

/// <summary>Cheap checks of an episode dataset as the trainer will see it.</summary>
public static class DatasetDoctor
{
    /// <summary>Name of <see cref="MaskContent"/>.</summary>
    public const string MaskContentName = "mask-content";

    /// <summary>Name of <see cref="LoaderAlignment"/>.</summary>
    public const string LoaderAlignmentName = "loader-alignment";

    /// <summary>Name of <see cref="Truncation"/>.</summary>
    public const string TruncationName = "truncation";

    /// <summary>Name of <see cref="RewardGroups"/>.</summary>
    public const string RewardGroupsName = "reward-groups";

    /// <summary>Runs the four checks.</summary>
    /// <param name="dataset">The open dataset.</param>
    /// <param name="blockSize">The training block size T.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static CheckReport RunAll(EpisodeDataset dataset, int blockSize) =>
        new([MaskContent(dataset), LoaderAlignment(dataset, blockSize), Truncation(dataset, blockSize), RewardGroups(dataset)]);

    /// <summary>No episode may have an all-zero mask over its targets (nothing to train), and not every episode may be fully
    /// supervised (a chat template without generation markers masks nothing).</summary>
    /// <param name="dataset">The dataset.</param>
    /// <returns>The result; measured: episodes, no_supervised_target, all_supervised, supervised_fraction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static CheckResult MaskContent(EpisodeDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return CheckResult.Guard(MaskContentName, () =>
        {
            long none = 0, all = 0, counted = 0, targets = 0, supervised = 0;
            var firstNone = -1;
            for (var i = 0; i < dataset.EpisodeCount; i++)
            {
                var info = dataset.GetEpisode(i);
                if (info.Length < 2) continue;
                counted++;
                var mask = dataset.GetMask(info.TokenOffset, info.Length)[1..];
                var n = 0;
                foreach (var m in mask) n += m;
                targets += mask.Length;
                supervised += n;
                if (n == 0)
                {
                    none++;
                    if (firstNone < 0) firstNone = i;
                }

                if (n == mask.Length) all++;
            }

            var passed = none == 0 && (counted == 0 || all < counted);
            var measured = CheckResult.Values(("episodes", counted), ("no_supervised_target", none), ("all_supervised", all), ("supervised_fraction", targets == 0 ? 0 : (double)supervised / targets));
            var explanation = passed
                ? $"every episode has supervised targets; {(double)supervised / Math.Max(targets, 1):P1} of targets are supervised, {all} episode(s) fully"
                : none > 0
                    ? $"{none} episode(s) have no supervised target (first: episode {firstNone}); their loss is 0 and they waste compute. Check the chat template's assistant markers."
                    : "every episode is supervised on every target: the mask trains prompts too (a template without generation markers?).";
            return new CheckResult(MaskContentName, passed, measured, explanation);
        });
    }

    /// <summary>The batches the loader builds must hold X[t] = tokens[s+t], Y[t] = tokens[s+t+1] and mask[t] = mask[s+t+1]
    /// (the mask that reaches the loss is the dataset's, shifted with the targets), for the first batches of each split.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="blockSize">T.</param>
    /// <param name="batches">Batches to inspect per split.</param>
    /// <returns>The result; measured: rows_checked, mismatches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static CheckResult LoaderAlignment(EpisodeDataset dataset, int blockSize, int batches = 8)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return CheckResult.Guard(LoaderAlignmentName, () =>
        {
            long rows = 0, mismatches = 0;
            string? first = null;
            foreach (var split in new[] { DatasetSplit.Train, DatasetSplit.Validation })
            {
                if ((split == DatasetSplit.Train ? dataset.Header.TrainEpisodeCount : dataset.Header.ValidationEpisodeCount) == 0) continue;
                var loader = new EpisodeDataLoader(dataset, split, new EpisodeLoaderOptions
                {
                    BatchSize = 8, BlockSize = blockSize, Shuffle = false, DropLast = false, LongEpisodes = LongEpisodePolicy.SplitIntoWindows,
                });
                var seen = 0;
                foreach (var batch in loader.EnumerateEpoch())
                {
                    for (var r = 0; r < batch.Rows; r++)
                    {
                        rows++;
                        var info = dataset.GetEpisode(batch.EpisodeIndices[r]);
                        var start = batch.WindowStarts[r];
                        var tokens = dataset.GetEpisodeTokens(info.Index);
                        var mask = dataset.GetEpisodeMask(info.Index);
                        var x = batch.InputRow(r);
                        var y = batch.TargetRow(r);
                        var m = batch.LossMaskRow(r);
                        for (var t = 0; t < batch.RowTargetCounts[r]; t++)
                        {
                            if (x[t] != tokens[start + t] || y[t] != tokens[start + t + 1] || m[t] != mask[start + t + 1])
                            {
                                mismatches++;
                                first ??= string.Create(CultureInfo.InvariantCulture, $"episode {info.Index}, window start {start}, position {t}");
                                break;
                            }
                        }
                    }

                    if (++seen >= batches) break;
                }
            }

            var passed = mismatches == 0 && rows > 0;
            return new CheckResult(
                LoaderAlignmentName,
                passed,
                CheckResult.Values(("rows_checked", rows), ("mismatches", mismatches)),
                passed
                    ? $"in {rows} loader rows the inputs, shifted targets and mask equal the dataset's tokens and mask bits (mask[i] trains token i as a target)"
                    : rows == 0 ? "the loader produced no row." : $"{mismatches} row(s) disagree with the dataset (first at {first}): the mask is misaligned with the shifted targets.");
        });
    }

    /// <summary>Episodes longer than the block are truncated to their first T targets; none may lose all of its supervised
    /// targets that way (the run would report loss 0 for them). Reports the supervised fraction dropped.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="blockSize">T.</param>
    /// <returns>The result; measured: truncated_episodes, emptied_by_truncation, supervised_dropped_fraction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static CheckResult Truncation(EpisodeDataset dataset, int blockSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockSize);
        return CheckResult.Guard(TruncationName, () =>
        {
            long truncated = 0, emptied = 0, supervised = 0, dropped = 0;
            for (var i = 0; i < dataset.EpisodeCount; i++)
            {
                var info = dataset.GetEpisode(i);
                if (info.Length < 2) continue;
                var mask = dataset.GetMask(info.TokenOffset, info.Length);
                long kept = 0, total = 0;
                for (var j = 1; j < mask.Length; j++)
                {
                    total += mask[j];
                    if (j <= blockSize) kept += mask[j];
                }

                supervised += total;
                if (info.Length - 1 > blockSize)
                {
                    truncated++;
                    dropped += total - kept;
                    if (kept == 0 && total > 0) emptied++;
                }
            }

            var fraction = supervised == 0 ? 0 : (double)dropped / supervised;
            var passed = emptied == 0;
            return new CheckResult(
                TruncationName,
                passed,
                CheckResult.Values(("truncated_episodes", truncated), ("emptied_by_truncation", emptied), ("supervised_dropped_fraction", fraction)),
                passed
                    ? $"{truncated} episode(s) exceed {blockSize} targets; truncation drops {fraction:P1} of supervised targets and empties none"
                    : $"{emptied} episode(s) lose every supervised target when truncated to {blockSize}: raise the block size, or use windows (LongEpisodePolicy.SplitIntoWindows).");
        });
    }

    /// <summary>For RL data with scores and group ids: groups whose scores are all equal carry no advantage signal; fails when
    /// every group is like that (normalised advantages would be all zero). Passes trivially without groups.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <returns>The result; measured: groups, zero_std_groups.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public static CheckResult RewardGroups(EpisodeDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return CheckResult.Guard(RewardGroupsName, () =>
        {
            var groups = new Dictionary<long, (double Min, double Max)>();
            for (var i = 0; i < dataset.EpisodeCount; i++)
            {
                var info = dataset.GetEpisode(i);
                if (info.GroupId is not { } g || info.Score is not { } s) continue;
                groups[g] = groups.TryGetValue(g, out var mm) ? (Math.Min(mm.Min, s), Math.Max(mm.Max, s)) : (s, s);
            }

            if (groups.Count == 0)
            {
                return new CheckResult(RewardGroupsName, true, CheckResult.Values(("groups", 0)), "no scored groups (SFT data): nothing to check");
            }

            var flat = groups.Count(kv => kv.Value.Min == kv.Value.Max);
            var passed = flat < groups.Count;
            return new CheckResult(
                RewardGroupsName,
                passed,
                CheckResult.Values(("groups", groups.Count), ("zero_std_groups", flat)),
                passed
                    ? $"{flat} of {groups.Count} groups have equal scores (their advantages normalise to exactly 0)"
                    : "every group has equal scores: all advantages are zero and nothing would be learned.");
        });
    }
}
