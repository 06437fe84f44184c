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
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Steps, nameof(options.Steps));
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
            _context.Write($"model: {config.Layers} layers x {config.EmbeddingSize}, {config.Heads} heads, block {config.BlockSize}, vocabulary {config.VocabSize}, {model.ParameterCount:N0} parameters, {model.Device}");
            using var trainer = new Trainer(model, train.Dataset, ToTrainerOptions(o, HardExampleDecoder(train.Dataset)), _context.LogWriter, validation?.Dataset);
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
        if (!TrainerOptions.TrackHardExamples) return null;
        if (TrainerOptions.HardExampleDecoder is { } decoder) return decoder;
        if (DatasetTokenizer.TryLoad(dataset, out var tokenizer, out var reason)) return tokenizer;
        _context.Write($"hard examples show token ids: {reason}. Hint: set Options.HardExampleDecoder (CLI: --tokenizer).");
        return null;
    }

    private TrainerOptions ToTrainerOptions(Options o, ITokenDecoder? decoder) => new()
    {
        MaxSteps = o.Steps,
        Epochs = o.Epochs,
        BatchSize = o.BatchSize,
        GradientAccumulationSteps = o.GradientAccumulationSteps,
        LearningRate = o.LearningRate,
        MinLearningRate = o.MinLearningRate ?? o.LearningRate / 10,
        WarmupSteps = o.WarmupSteps,
        Beta1 = o.Beta1,
        Beta2 = o.Beta2,
        WeightDecay = o.WeightDecay,
        GradientClip = o.GradientClip,
        Seed = _context.Seed,
        Device = _context.Device,
        LogInterval = o.LogInterval,
        EvalInterval = o.EvalInterval,
        EvalBatches = o.EvalBatches,
        CheckpointInterval = o.CheckpointInterval,
        KeepCheckpoints = o.KeepCheckpoints,
        Loss = o.Loss,
        UseLossMask = o.UseLossMask,
        UseAdvantages = o.UseAdvantages,
        LongEpisodes = o.LongEpisodes,
        OutputDirectory = o.OutputDirectory,
        IntraOpThreads = o.IntraOpThreads,
        HardExamples = o.TrackHardExamples ? o.HardExamples : null,
        HardExampleDecoder = decoder,
        HardExamplesStartStep = o.HardExamplesStartStep,
    };

    /// <summary>Options of <see cref="MaskedSftTrainer"/>.</summary>
    public sealed class Options
    {
        /// <summary>Model preset: tiny (2 layers x 64), small (3 x 128) or medium (6 x 384). Default tiny.</summary>
        public string Preset { get; set; } = "tiny";

        /// <summary>A full model configuration instead of the preset (vocabulary and block size still fitted unless set below).</summary>
        public GptConfig? Model { get; set; }

        /// <summary>Vocabulary size; null = the dataset's, rounded up to a multiple of 64.</summary>
        public int? VocabSize { get; set; }

        /// <summary>Block size; null = the longest episode's targets rounded up to 16, at most the preset's 256.</summary>
        public int? BlockSize { get; set; }

        /// <summary>Dropout (default 0).</summary>
        public double Dropout { get; set; }

        /// <summary>Optimizer steps (default 200).</summary>
        public int Steps { get; set; } = 200;

        /// <summary>Epochs instead of steps (null = use <see cref="Steps"/>).</summary>
        public int? Epochs { get; set; }

        /// <summary>Rows per micro-batch (default 16).</summary>
        public int BatchSize { get; set; } = 16;

        /// <summary>Micro-batches per optimizer step (default 1).</summary>
        public int GradientAccumulationSteps { get; set; } = 1;

        /// <summary>Peak learning rate (default 1e-3).</summary>
        public double LearningRate { get; set; } = 1e-3;

        /// <summary>Final learning rate of the cosine decay; null = a tenth of the peak.</summary>
        public double? MinLearningRate { get; set; }

        /// <summary>Warmup steps (default 20).</summary>
        public int WarmupSteps { get; set; } = 20;

        /// <summary>AdamW beta1 (default 0.9).</summary>
        public double Beta1 { get; set; } = 0.9;

        /// <summary>AdamW beta2 (default 0.95).</summary>
        public double Beta2 { get; set; } = 0.95;

        /// <summary>Weight decay of matrices and embeddings (default 0.1).</summary>
        public double WeightDecay { get; set; } = 0.1;

        /// <summary>Gradient-norm clip, 0 = off (default 1.0).</summary>
        public double GradientClip { get; set; } = 1.0;

        /// <summary>Train only on targets whose mask bit is 1 (default true).</summary>
        public bool UseLossMask { get; set; } = true;

        /// <summary>Weight tokens by the data's advantages when present (default true).</summary>
        public bool UseAdvantages { get; set; } = true;

        /// <summary>The loss settings (aggregation, advantage normalisation, temperature, ignore index).</summary>
        public WeightedSftLossOptions Loss { get; set; } = new();

        /// <summary>Long-episode policy (default truncate).</summary>
        public LongEpisodePolicy LongEpisodes { get; set; } = LongEpisodePolicy.Truncate;

        /// <summary>Metrics/progress every this many steps (default 10).</summary>
        public int LogInterval { get; set; } = 10;

        /// <summary>Validation loss every this many steps and at the end; 0 = only at the end (default 100).</summary>
        public int EvalInterval { get; set; } = 100;

        /// <summary>Validation batches per evaluation; null = all (default 20).</summary>
        public int? EvalBatches { get; set; } = 20;

        /// <summary>Checkpoint every this many steps and at the end; 0 = only at the end (default 100).</summary>
        public int CheckpointInterval { get; set; } = 100;

        /// <summary>Checkpoints to keep (default 3).</summary>
        public int KeepCheckpoints { get; set; } = 3;

        /// <summary>Run directory (metrics.jsonl, checkpoints/), or null.</summary>
        public string? OutputDirectory { get; set; }

        /// <summary>A checkpoint (or run directory) to resume from; its model configuration is used.</summary>
        public string? ResumeFrom { get; set; }

        /// <summary>libtorch intra-op threads, or null for libtorch's default.</summary>
        public int? IntraOpThreads { get; set; }

        /// <summary>Track the hardest samples (default true): hard_examples.jsonl, a metrics section, the report and checkpoints.</summary>
        public bool TrackHardExamples { get; set; } = true;

        /// <summary>The hard-example tracker's capacity, quantile and snapshot interval (defaults 50, 0.9, 50 steps).</summary>
        public HardExampleTrackerOptions HardExamples { get; set; } = new();

        /// <summary>Decodes hard examples' supervised tokens; null = the tokenizer file recorded in the dataset when it is
        /// there (else token ids are shown).</summary>
        public ITokenDecoder? HardExampleDecoder { get; set; }

        /// <summary>First step the tracker sees; null = the first step after warmup.</summary>
        public int? HardExamplesStartStep { get; set; }
    }
}
