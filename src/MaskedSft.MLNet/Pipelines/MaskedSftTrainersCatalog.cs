// The trainers catalog of a MaskedSftContext and its extension methods (ML.NET's two overloads: simple and Options).
using MaskedSft.MLNet.Losses;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>Trainers of a <see cref="MaskedSftContext"/>; the trainers are extension methods on this class.</summary>
public sealed class MaskedSftTrainersCatalog
{
    internal MaskedSftTrainersCatalog(MaskedSftContext context) => Context = context;

    /// <summary>The owning context.</summary>
    public MaskedSftContext Context { get; }
}

/// <summary>Catalog methods that create <see cref="MaskedSftTrainer"/>s.</summary>
public static class MaskedSftCatalogExtensions
{
    /// <summary>A loss-masked SFT trainer with the main settings (null = the default of <see cref="Training.TrainerOptions"/>).</summary>
    /// <param name="catalog">The context's trainers catalog.</param>
    /// <param name="preset">Model preset: tiny (2x64), small (3x128) or medium (6x384); null = tiny.</param>
    /// <param name="steps">Optimizer steps, or null for the default.</param>
    /// <param name="learningRate">Peak learning rate, or null for the default.</param>
    /// <param name="batchSize">Rows per micro-batch, or null for the default.</param>
    /// <param name="outputDirectory">Run directory for metrics.jsonl and checkpoints/, or null.</param>
    /// <param name="aggregation">Loss aggregation mode.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> is null.</exception>
    /// <exception cref="ArgumentException">The preset is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static MaskedSftTrainer MaskedSft(
        this MaskedSftTrainersCatalog catalog,
        string? preset = null,
        int? steps = null,
        double? learningRate = null,
        int? batchSize = null,
        string? outputDirectory = null,
        LossAggregation aggregation = LossAggregation.TokenMean)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var defaults = new MaskedSftTrainer.Options();
        return catalog.MaskedSft(defaults with
        {
            Preset = preset ?? defaults.Preset,
            MaxSteps = steps ?? defaults.MaxSteps,
            LearningRate = learningRate ?? defaults.LearningRate,
            BatchSize = batchSize ?? defaults.BatchSize,
            OutputDirectory = outputDirectory,
            Loss = new WeightedSftLossOptions { Aggregation = aggregation },
        });
    }

    /// <summary>A loss-masked (and, with advantages in the data, advantage-weighted) SFT trainer from full options.</summary>
    /// <param name="catalog">The context's trainers catalog.</param>
    /// <param name="options">The options.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The preset is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static MaskedSftTrainer MaskedSft(this MaskedSftTrainersCatalog catalog, MaskedSftTrainer.Options options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new MaskedSftTrainer(catalog.Context, options);
    }
}
