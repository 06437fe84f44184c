// What a preparation run read, wrote, truncated, dropped and skipped.
namespace MaskedSft.MLNet.Tokenizers.Preparation;

/// <summary>Counts of a <see cref="EpisodePreparation.Run"/>.</summary>
public sealed class PreparationStatistics
{
    /// <summary>True when the dataset has advantages (some Atropos line carried them).</summary>
    public bool HasAdvantages { get; internal set; }

    /// <summary>Lines read (blank lines included).</summary>
    public long Lines { get; internal set; }

    /// <summary>Episodes written.</summary>
    public long Episodes { get; internal set; }

    /// <summary>Episodes written from chat lines.</summary>
    public long ChatEpisodes { get; internal set; }

    /// <summary>Episodes written from Atropos lines (one per sequence).</summary>
    public long AtroposEpisodes { get; internal set; }

    /// <summary>Episodes written to the training split.</summary>
    public long TrainEpisodes { get; internal set; }

    /// <summary>Episodes written to the validation split.</summary>
    public long ValidationEpisodes { get; internal set; }

    /// <summary>Tokens written.</summary>
    public long Tokens { get; internal set; }

    /// <summary>Targets written (tokens that are not the first of their episode).</summary>
    public long Targets { get; internal set; }

    /// <summary>Targets with mask 1.</summary>
    public long SupervisedTargets { get; internal set; }

    /// <summary>Supervised targets over targets.</summary>
    public double SupervisedFraction => Targets == 0 ? 0 : (double)SupervisedTargets / Targets;

    /// <summary>Episodes cut to the maximum length (written or dropped).</summary>
    public long Truncated { get; internal set; }

    /// <summary>Episodes dropped because no target was supervised (after truncation, or no assistant turn).</summary>
    public long DroppedNoSupervision { get; internal set; }

    /// <summary>Episodes written whose every target is supervised (flagged by the mask audit; usually a lost mask).</summary>
    public long AllSupervised { get; internal set; }

    /// <summary>Bad lines skipped (with <see cref="PreparationOptions.SkipBadLines"/>).</summary>
    public long SkippedLines { get; internal set; }

    /// <summary>The first errors of the skipped lines (at most 100).</summary>
    public List<PreparationLineException> SkippedErrors { get; } = [];
}
