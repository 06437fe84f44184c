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
    /// <summary>A loss-masked SFT trainer with the main settings.</summary>
    /// <param name="catalog">The context's trainers catalog.</param>
    /// <param name="preset">Model preset: tiny (2x64), small (3x128) or medium (6x384).</param>
    /// <param name="steps">Optimizer steps.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="batchSize">Rows per micro-batch.</param>
    /// <param name="outputDirectory">Run directory for metrics.jsonl and checkpoints/, or null.</param>
    /// <param name="aggregation">Loss aggregation mode.</param>
    /// <returns>The trainer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> or <paramref name="preset"/> is null.</exception>
    /// <exception cref="ArgumentException">The preset is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public static MaskedSftTrainer MaskedSft(
        this MaskedSftTrainersCatalog catalog,
        string preset = "tiny",
        int steps = 200,
        double learningRate = 1e-3,
        int batchSize = 16,
        string? outputDirectory = null,
        LossAggregation aggregation = LossAggregation.TokenMean)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(preset);
        return catalog.MaskedSft(new MaskedSftTrainer.Options
        {
            Preset = preset,
            Steps = steps,
            LearningRate = learningRate,
            BatchSize = batchSize,
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
