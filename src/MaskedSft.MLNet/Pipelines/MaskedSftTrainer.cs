// The estimator: builds a tiny GPT for the data, trains it with loss masking (and advantages), returns a fitted model.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Estimator of loss-masked supervised fine-tuning. <see cref="Fit"/> creates a <see cref="TinyGpt"/> from the preset
/// (vocabulary and block size fitted to the data unless set), trains it on the data's training split with a
/// <see cref="Trainer"/>, evaluates on the validation split (or on a separate validation set), and returns a
/// <see cref="MaskedSftModel"/>. With <see cref="Options.ResumeFrom"/> it continues a checkpointed run exactly.
/// </summary>
public sealed class MaskedSftTrainer
{
    private readonly MaskedSftContext _context;

    internal MaskedSftTrainer(MaskedSftContext context, Options options)
    {
        _context = context;
        TrainerOptions = options;
        GptConfig.FromPreset(options.Preset); // validates the name early
        options.Validate();
    }

    /// <summary>The options.</summary>
    public Options TrainerOptions { get; }

    /// <summary>Trains a model.</summary>
    /// <param name="train">Training data (its training split is used; its validation split for evaluation unless
    /// <paramref name="validation"/> is given).</param>
    /// <param name="validation">Separate evaluation data, or null.</param>
    /// <param name="cancellationToken">Stops training between steps (the model so far is returned; with an output directory
    /// a checkpoint is written).</param>
    /// <returns>The fitted model (dispose it).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> is null.</exception>
    /// <exception cref="ArgumentException">The data does not fit the model (vocabulary, block).</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is missing, corrupt or for another model.</exception>
    public MaskedSftModel Fit(EpisodeData train, EpisodeData? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        var o = TrainerOptions;
        string? checkpoint = null;
        GptConfig config;
        if (o.ResumeFrom is { } resume)
        {
            checkpoint = Trainer.ResolveCheckpoint(resume);
            var architecture = CheckpointMetadata.Read(checkpoint).Architecture;
            if (architecture != TinyGpt.ArchitectureName)
                throw new InvalidDataException($"{checkpoint}: the checkpoint is for a {architecture} model; this estimator trains {TinyGpt.ArchitectureName}.");
            config = TinyGpt.ReadConfig(checkpoint);
            _context.Write($"resuming from {checkpoint}");
        }
        else
        {
            config = ModelConfig(train.Dataset);
        }

        var model = new TinyGpt(config, _context.Seed, _context.Device);
        try
        {
            _context.Write($"model: {config.Describe()}, {model.Device}");
            var options = o with { Seed = _context.Seed, Device = _context.Device, HardExampleDecoder = HardExampleDecoder(train.Dataset) };
            using var trainer = new Trainer(model, train.Dataset, options, _context.LogWriter, validation?.Dataset);
            if (checkpoint is not null) trainer.LoadCheckpoint(checkpoint);
            var result = trainer.Run(cancellationToken);
            return new MaskedSftModel(model, result);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The model configuration <see cref="Fit"/> uses for a dataset.</summary>
    /// <param name="dataset">The training dataset.</param>
    /// <returns>The preset (or <see cref="Options.Model"/>) with vocabulary and block size fitted as documented.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public GptConfig ModelConfig(EpisodeDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var o = TrainerOptions;
        var baseConfig = o.Model ?? GptConfig.FromPreset(o.Preset);
        var vocab = o.VocabSize ?? (dataset.VocabSize + 63) / 64 * 64;
        var longest = 1;
        for (var i = 0; i < dataset.EpisodeCount; i++) longest = Math.Max(longest, dataset.GetEpisode(i).Length);
        var block = o.BlockSize ?? Math.Min(baseConfig.BlockSize, Math.Max(16, (longest - 1 + 15) / 16 * 16));
        return baseConfig with { VocabSize = vocab, BlockSize = block, Dropout = o.Dropout };
    }

    /// <summary>The decoder of hard examples' text: the option's, else the dataset's recorded tokenizer file, else token ids.</summary>
    private ITokenDecoder? HardExampleDecoder(EpisodeDataset dataset)
    {
        if (TrainerOptions.HardExamples is null) return null;
        if (TrainerOptions.HardExampleDecoder is { } decoder) return decoder;
        if (DatasetTokenizer.TryLoad(dataset, out var tokenizer, out var reason)) return tokenizer;
        _context.Write($"hard examples show token ids: {reason}. Hint: set Options.HardExampleDecoder (CLI: --tokenizer).");
        return null;
    }

    /// <summary>Options of <see cref="MaskedSftTrainer"/>: the training settings and their defaults are
    /// <see cref="Training.TrainerOptions"/>'s (this record derives from it); the model's shape is chosen here. The context's
    /// seed and device (<see cref="MaskedSftContext"/>) replace <see cref="Training.TrainerOptions.Seed"/> and
    /// <see cref="Training.TrainerOptions.Device"/>; <see cref="Training.TrainerOptions.BlockSize"/> is the model's block
    /// size too (null = the longest episode's targets rounded up to 16, at most the preset's 256).</summary>
    public sealed record Options : Training.TrainerOptions
    {
        /// <summary>Model preset: tiny (2 layers x 64), small (3 x 128) or medium (6 x 384). Default tiny.</summary>
        public string Preset { get; init; } = "tiny";

        /// <summary>A full model configuration instead of the preset (vocabulary and block size still fitted unless set).</summary>
        public GptConfig? Model { get; init; }

        /// <summary>Vocabulary size; null = the dataset's, rounded up to a multiple of 64.</summary>
        public int? VocabSize { get; init; }

        /// <summary>Dropout of the model (default 0).</summary>
        public double Dropout { get; init; }

        /// <summary>A checkpoint (or run directory) to resume from; its model configuration is used.</summary>
        public string? ResumeFrom { get; init; }
    }
}
