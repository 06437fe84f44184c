// The loss-masked (and advantage-weighted) SFT trainer as an ML.NET estimator over the training engine (Trainer).
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Pipelines.Mappings;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MaskedSft.MLNet.Pipelines;

/// <summary>
/// Trains a causal LM on rows of <c>Tokens</c> (vector of Int32) and <c>LossMask</c> (vector of Boolean), weighting token
/// losses by <c>Advantages</c> (vector of Single) when the data has that column. <see cref="Fit(IDataView)"/> writes the rows
/// as an episode dataset (or uses a <see cref="EpisodeDataView"/>'s directory as it is), builds the model (the
/// <see cref="Options.Preset"/>, vocabulary and block fitted to the data; or the checkpoint's model with
/// <see cref="Options.ResumeFrom"/>) and runs the training engine (<see cref="Trainer"/>: metrics, hard examples,
/// checkpoints, progress, cancellation). It returns a <see cref="CausalLmTransformer"/> (its model float32 holding the master
/// weights after <see cref="TrainingPrecision.BFloat16Masters"/> training, bfloat16 after pure <see cref="TrainingPrecision.BFloat16"/>).
/// Made by <c>mlContext.MaskedSft().Trainers.LossMaskedSft(...)</c>.
/// </summary>
public sealed class LossMaskedSftTrainer : IEstimator<CausalLmTransformer>
{
    private readonly MLContext _context;
    private readonly ColumnRequirement _tokens;
    private readonly ColumnRequirement _mask;
    private readonly ColumnRequirement _advantages;
    private readonly IEstimator<ITransformer> _shape;

    internal LossMaskedSftTrainer(MLContext context, Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(); // an unknown preset or a bad value fails here, not after the data is written

        _context = context;
        TrainerOptions = options;
        _tokens = new ColumnRequirement(options.TokensColumnName, "token ids", NumberDataViewType.Int32, true);
        _mask = new ColumnRequirement(options.LossMaskColumnName, "loss mask", BooleanDataViewType.Instance, true);
        _advantages = new ColumnRequirement(options.AdvantagesColumnName, "advantages", NumberDataViewType.Single, true);
        _shape = Mapping(context, options, static (_, _) => throw new InvalidOperationException("The trainer has not been fitted."));
    }

    /// <summary>The options.</summary>
    public Options TrainerOptions { get; }

    /// <summary>Trains on <paramref name="input"/> (its validation split, when it is a whole <see cref="EpisodeDataView"/>, is evaluated).</summary>
    /// <param name="input">The training rows.</param>
    /// <returns>The fitted transformer (dispose it to free the model).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type; the message names it and both types.</exception>
    /// <exception cref="ArgumentException">A row is invalid, or the data does not fit the model.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is missing, corrupt or for another model.</exception>
    public CausalLmTransformer Fit(IDataView input) => Fit(input, null);

    /// <summary>Trains on <paramref name="input"/>, evaluating on <paramref name="validationData"/>.</summary>
    /// <param name="input">The training rows.</param>
    /// <param name="validationData">Rows to evaluate on (same columns), or null.</param>
    /// <param name="cancellationToken">Stops training between steps; the model so far is returned (and checkpointed when
    /// there is an output directory).</param>
    /// <returns>The fitted transformer (dispose it to free the model).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentException">A row is invalid, or the data does not fit the model.</exception>
    /// <exception cref="InvalidDataException">The checkpoint to resume from is missing, corrupt or for another model.</exception>
    public CausalLmTransformer Fit(IDataView input, IDataView? validationData, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Schema);
        if (validationData is not null)
        {
            Check(validationData.Schema);
        }

        var o = TrainerOptions;
        var (path, temporary) = Materialize(input, validationData, cancellationToken);
        try
        {
            using var dataset = EpisodeDataset.Open(path, EpisodeVerification.Structure);
            string? checkpoint = o.ResumeFrom is { } resume ? Trainer.ResolveCheckpoint(resume) : null;
            var config = checkpoint is not null ? CheckpointConfig(checkpoint) : ModelConfig(dataset);
            if (checkpoint is not null)
            {
                o.Log?.WriteLine($"resuming from {checkpoint}");
            }

            var model = new TinyGpt(config, o.Seed, o.Device ?? Device.Auto) { GradientCheckpointing = o.GradientCheckpointing };
            try
            {
                if (o.Precision == TrainingPrecision.BFloat16) model.To(model.Device, ScalarType.BFloat16); // pure bfloat16 (BFloat16Masters: the Trainer casts once its engine copied the float32 masters)
                o.Log?.WriteLine($"model: {config.Layers} layers x {config.EmbeddingSize}, {config.Heads} heads, block {config.BlockSize}, vocabulary {config.VocabSize}, {model.ParameterCount:N0} parameters, {model.Device}");
                TrainingResult result;
                using (var trainer = new Trainer(model, dataset, o with { HardExampleDecoder = HardExampleDecoder(dataset) }, o.Log))
                {
                    if (checkpoint is not null)
                    {
                        trainer.LoadCheckpoint(checkpoint);
                    }

                    result = trainer.Run(cancellationToken);
                    if (trainer.Precision == TrainingPrecision.BFloat16Masters) KeepMasterWeights(trainer, model);
                }

                model.Train(false);
                return Transformer(new CausalLmState(model), result, input.Schema);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            if (temporary)
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }

    /// <summary>The schema after the fitted transformer: the input plus <c>Loss</c> (Single) and <c>SupervisedTokens</c> (Int32).</summary>
    /// <param name="inputSchema">The input's schema shape.</param>
    /// <returns>The output's schema shape.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _tokens.Check(inputSchema);
        _mask.Check(inputSchema);
        if (_advantages.IsIn(inputSchema))
        {
            _advantages.Check(inputSchema);
        }

        return _shape.GetOutputSchema(inputSchema);
    }

    /// <summary>The model configuration <see cref="Fit(IDataView)"/> uses for a dataset (without <see cref="Options.ResumeFrom"/>).</summary>
    /// <param name="dataset">The training dataset.</param>
    /// <returns>The preset (or <see cref="Options.Model"/>) with the vocabulary (the dataset's, rounded up to 64) and the
    /// block (the longest episode's targets rounded up to 16, at most the preset's) unless set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    public GptConfig ModelConfig(EpisodeDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var o = TrainerOptions;
        var baseConfig = o.Model ?? GptConfig.FromPreset(o.Preset);
        int longest = 1;
        for (int i = 0; i < dataset.EpisodeCount; i++)
        {
            longest = Math.Max(longest, dataset.GetEpisode(i).Length);
        }

        return baseConfig with
        {
            VocabSize = o.VocabSize ?? (dataset.VocabSize + 63) / 64 * 64,
            BlockSize = o.BlockSize ?? Math.Min(baseConfig.BlockSize, Math.Max(16, (longest - 1 + 15) / 16 * 16)),
            Dropout = o.Dropout,
        };
    }

    /// <summary>Makes the trained model float32 holding the master weights (<see cref="TrainingPrecision.BFloat16Masters"/>),
    /// so the fitted transformer scores and saves full-precision weights, as the run's checkpoints hold.</summary>
    private static void KeepMasterWeights(Trainer trainer, TinyGpt model)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        Dictionary<string, Tensor> masters;
        using (trainer.UseMasterWeights())
            masters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.To(p.Parameter.Device, ScalarType.Float32, copy: true), StringComparer.Ordinal);
        model.To(model.Device, ScalarType.Float32);
        model.LoadParameters(masters);
    }

    private static GptConfig CheckpointConfig(string checkpoint)
    {
        var architecture = CheckpointMetadata.Read(checkpoint).Architecture;
        return architecture == TinyGpt.ArchitectureName
            ? TinyGpt.ReadConfig(checkpoint)
            : throw new InvalidDataException($"{checkpoint}: the checkpoint is for a {architecture} model; this trainer builds {TinyGpt.ArchitectureName} models (presets). Hint: resume it with the trainer of that model.");
    }

    private static IEstimator<ITransformer> Mapping(MLContext ml, Options options, Action<CausalLmScoreInput, CausalLmScoreOutput> map)
    {
        var input = SchemaDefinition.Create(typeof(CausalLmScoreInput));
        input[nameof(CausalLmScoreInput.Tokens)].ColumnName = options.TokensColumnName;
        input[nameof(CausalLmScoreInput.LossMask)].ColumnName = options.LossMaskColumnName;
        var output = SchemaDefinition.Create(typeof(CausalLmScoreOutput));
        output[nameof(CausalLmScoreOutput.Loss)].ColumnName = options.LossColumnName;
        output[nameof(CausalLmScoreOutput.SupervisedTokens)].ColumnName = options.SupervisedTokensColumnName;
        return ml.Transforms.CustomMapping(map, contractName: null, input, output);
    }

    private static IEstimator<ITransformer> SavedChain(MLContext ml, CausalLmState state, Options options) =>
        SavedState.Loader(ml, state.ToBytes())
            .Append(ml.Transforms.CopyColumns(SavedCausalLmScoreInput.TokensColumn, options.TokensColumnName))
            .Append(ml.Transforms.CopyColumns(SavedCausalLmScoreInput.LossMaskColumn, options.LossMaskColumnName))
            .Append(ml.Transforms.CustomMapping(new CausalLmScoreFactory().GetMapping(), CausalLmScoreFactory.ContractName))
            .Append(ml.Transforms.CopyColumns(options.LossColumnName, SavedCausalLmScoreOutput.LossColumn))
            .Append(ml.Transforms.CopyColumns(options.SupervisedTokensColumnName, SavedCausalLmScoreOutput.SupervisedTokensColumn))
            .Append(ml.Transforms.DropColumns([.. SavedState.Columns, SavedCausalLmScoreInput.TokensColumn, SavedCausalLmScoreInput.LossMaskColumn,
                SavedCausalLmScoreOutput.LossColumn, SavedCausalLmScoreOutput.SupervisedTokensColumn]));

    private CausalLmTransformer Transformer(CausalLmState state, TrainingResult result, DataViewSchema inputSchema)
    {
        var options = TrainerOptions;
        var mapping = Mapping(_context, options, (source, row) => (row.Loss, row.SupervisedTokens) = state.Scorer.Score(source.Tokens, source.LossMask))
            .Fit(new EmptyDataView(inputSchema));
        var core = new SaveableMapping(mapping, Check, () => SavedChain(_context, state, options), inputSchema);
        var hard = result.HardExamples?.Entries ?? [];
        var rows = _context.Data.LoadFromEnumerable(hard.Select(e => new HardExampleRow
        {
            Key = e.Key, Loss = e.Loss, Step = e.Step, MaxLossStep = e.MaxLossStep, SeenCount = e.SeenCount, Text = e.Text,
        }).ToList());
        return new CausalLmTransformer(core, state, result, rows);
    }

    private void Check(DataViewSchema schema)
    {
        _tokens.Check(schema);
        _mask.Check(schema);
        if (_advantages.IsIn(schema))
        {
            _advantages.Check(schema);
        }
    }

    /// <summary>The episode dataset to train on: a whole <see cref="EpisodeDataView"/>'s own directory, the run's
    /// <c>data/</c> (kept, and reused when resuming), or a temporary directory deleted after training.</summary>
    private (string Path, bool Temporary) Materialize(IDataView input, IDataView? validation, CancellationToken cancellationToken)
    {
        var o = TrainerOptions;
        bool defaultColumns = o.TokensColumnName == EpisodeColumns.Tokens && o.LossMaskColumnName == EpisodeColumns.LossMask && o.AdvantagesColumnName == EpisodeColumns.Advantages;
        if (input is EpisodeDataView { IsWholeDataset: true } view && validation is null && defaultColumns)
        {
            return (view.DirectoryPath, false);
        }

        string path = o.OutputDirectory is { } run ? Path.Combine(run, "data") : Path.Combine(Path.GetTempPath(), "maskedsft-fit-" + Guid.NewGuid().ToString("N"), "data");
        if (o.ResumeFrom is not null && EpisodeDataset.IsEpisodeDataset(path))
        {
            o.Log?.WriteLine($"resuming on the run's data {path}");
            return (path, false);
        }

        var save = new SaveEpisodesOptions
        {
            TokensColumnName = o.TokensColumnName,
            LossMaskColumnName = o.LossMaskColumnName,
            AdvantagesColumnName = o.AdvantagesColumnName,
            ValidationFraction = o.ValidationFraction,
            SplitSeed = o.Seed,
            Overwrite = true,
            Source = "LossMaskedSftTrainer.Fit",
        };
        var train = new EpisodeViewWriter(input, save, o.UseAdvantages);
        var other = validation is null ? null : new EpisodeViewWriter(validation, save, o.UseAdvantages);
        int? floor = other?.WriterOptions(save, null).VocabSize;
        var writerOptions = train.WriterOptions(save, floor) with { WithAdvantages = train.HasAdvantages && (other?.HasAdvantages ?? true) };
        using (var writer = new EpisodeDatasetWriter(path, writerOptions))
        {
            long rows = train.AppendTo(writer, validation is null ? null : DatasetSplit.Train, cancellationToken);
            rows += other?.AppendTo(writer, DatasetSplit.Validation, cancellationToken) ?? 0;
            if (rows == 0)
            {
                throw new ArgumentException("LossMaskedSftTrainer.Fit: the training data has no rows.", nameof(input));
            }

            writer.Complete();
        }

        o.Log?.WriteLine($"data: {path}");
        return (path, o.OutputDirectory is null);
    }

    private ITokenDecoder? HardExampleDecoder(EpisodeDataset dataset)
    {
        var o = TrainerOptions;
        if (o.HardExamples is null)
        {
            return null;
        }

        if (o.HardExampleDecoder is { } decoder)
        {
            return decoder;
        }

        if (DatasetTokenizer.TryLoad(dataset, out var tokenizer, out var reason))
        {
            return tokenizer;
        }

        o.Log?.WriteLine($"hard examples show token ids: {reason}. Hint: set Options.HardExampleDecoder.");
        return null;
    }

    /// <summary>
    /// Options of <see cref="LossMaskedSftTrainer"/>. The training settings and their one set of defaults are the engine's:
    /// this record derives from <see cref="Training.TrainerOptions"/> (steps, batch, schedule, AdamW, clipping, seed, device,
    /// intervals, loss, hard examples, output directory), as <c>maskedsft train</c> uses them; the model's shape, the
    /// columns and resuming are chosen here. <see cref="Training.TrainerOptions.BlockSize"/> is the model's block too (null =
    /// the longest row's targets rounded up to 16, at most the preset's); <see cref="Training.TrainerOptions.Device"/> null =
    /// CUDA when available, else the CPU; <see cref="Training.TrainerOptions.HardExamples"/> null turns tracking off.
    /// </summary>
    public sealed record Options : TrainerOptions
    {
        /// <summary>Model preset: tiny (2 layers x 64), small (3 x 128) or medium (6 x 384). Default tiny.</summary>
        public string Preset { get; init; } = "tiny";

        /// <summary>A full model configuration instead of the preset (vocabulary and block still fitted unless set).</summary>
        public GptConfig? Model { get; init; }

        /// <summary>Recompute each block of the tiny GPT in the backward pass (<see cref="TinyGpt.GradientCheckpointing"/>).</summary>
        public bool GradientCheckpointing { get; init; }

        /// <summary>Vocabulary size; null = the data's, rounded up to a multiple of 64.</summary>
        public int? VocabSize { get; init; }

        /// <summary>Dropout of the model (default 0).</summary>
        public double Dropout { get; init; }

        /// <summary>Optimizer steps: another name of <see cref="Training.TrainerOptions.MaxSteps"/> (the engine's default).</summary>
        public int Steps
        {
            get => MaxSteps;
            init => MaxSteps = value;
        }

        /// <summary>A checkpoint (or run directory) to continue from exactly; its model configuration is used, and the run's
        /// data/ is reused when it exists.</summary>
        public string? ResumeFrom { get; init; }

        /// <summary>Fraction of the rows held out for validation when the data is written (default 0; a whole
        /// <see cref="EpisodeDataView"/> keeps its own split, and a validation view passed to Fit is used as it is).</summary>
        public double ValidationFraction { get; init; }

        /// <summary>The token ids column (default <c>Tokens</c>).</summary>
        public string TokensColumnName { get; init; } = EpisodeColumns.Tokens;

        /// <summary>The loss mask column (default <c>LossMask</c>).</summary>
        public string LossMaskColumnName { get; init; } = EpisodeColumns.LossMask;

        /// <summary>The advantages column, used when present and <see cref="Training.TrainerOptions.UseAdvantages"/> (default <c>Advantages</c>).</summary>
        public string AdvantagesColumnName { get; init; } = EpisodeColumns.Advantages;

        /// <summary>The output column of the per-row masked mean cross-entropy (default <c>Loss</c>).</summary>
        public string LossColumnName { get; init; } = "Loss";

        /// <summary>The output column of the per-row supervised-token count (default <c>SupervisedTokens</c>).</summary>
        public string SupervisedTokensColumnName { get; init; } = "SupervisedTokens";

        /// <summary>Where progress lines go (e.g. <see cref="Console.Out"/>); null prints nothing.</summary>
        public TextWriter? Log { get; init; }

        /// <summary>Checks the values (the engine's, the preset, the fraction and the column names).</summary>
        /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
        /// <exception cref="ArgumentException">The preset is unknown or a column name is empty.</exception>
        public override void Validate()
        {
            base.Validate();
            if (Model is null)
            {
                GptConfig.FromPreset(Preset);
            }

            if (!(ValidationFraction is >= 0 and < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
            }

            foreach (var (name, value) in new[] { (nameof(TokensColumnName), TokensColumnName), (nameof(LossMaskColumnName), LossMaskColumnName),
                (nameof(AdvantagesColumnName), AdvantagesColumnName), (nameof(LossColumnName), LossColumnName), (nameof(SupervisedTokensColumnName), SupervisedTokensColumnName) })
            {
                ArgumentException.ThrowIfNullOrEmpty(value, name);
            }
        }
    }
}
