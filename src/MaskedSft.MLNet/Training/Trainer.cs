// Trains an ICausalLm on an episode dataset: AdamW, warmup + cosine, clipping, accumulation, metrics, evaluation, checkpoints.
using System.Diagnostics;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;
using MaskedSft.Torch.Optim;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// Supervised fine-tuning of an <see cref="ICausalLm"/> on an episode dataset. Each optimizer step reads
/// <see cref="TrainerOptions.GradientAccumulationSteps"/> micro-batches from the training split and runs them through the
/// <see cref="TrainingEngine{TBatch}"/> with an <see cref="SftObjective"/>: one <see cref="LossNormalizer"/> over the whole
/// window, each micro-batch's share of the loss back-propagated (so the accumulated gradient equals the full batch's),
/// the global gradient norm clipped, AdamW stepped at the warmup + cosine schedule's rate. Around the steps the trainer
/// evaluates, writes metrics.jsonl, tracks hard examples, checkpoints and writes report.md.
/// <para>Checkpoints (<see cref="SaveCheckpoint"/>, every <see cref="TrainerOptions.CheckpointInterval"/> steps and at the
/// end) hold the weights, the optimizer moments and steps, the scheduler step, the CPU RNG state and the loader state;
/// <see cref="LoadCheckpoint"/> on fresh objects continues bit-for-bit as the uninterrupted run would (on the CPU).
/// With <see cref="TrainingPrecision.BFloat16Masters"/> the trainer casts the whole model to bfloat16 once the engine took
/// its float32 masters, the checkpoints' weights are the masters and a resume loads them into the masters.</para>
/// <para>Data parallel (<see cref="TrainerOptions.ProcessGroup"/> of W &gt; 1 ranks, one trainer per rank with the same
/// options): rank r's loader reads its share of each global batch of W·BatchSize rows (<see cref="EpisodeLoaderOptions.Rank"/>),
/// the engine broadcasts rank 0's initial weights, normalises the loss by the global supervised-token count and sums the
/// gradients before clipping; rank 0 alone evaluates (on the unsharded validation split, in batches of W·BatchSize rows)
/// and writes metrics.jsonl (global loss), hard_examples.jsonl (the ranks' snapshots merged round-robin), the checkpoints
/// (holding every rank's tracker) and report.md. Every rank resumes from the same checkpoint with
/// <see cref="LoadCheckpoint"/>. Every rank must run the same steps: a failed or vanished rank ends the others' runs with
/// a <see cref="DistributedException"/> at the next collective.</para>
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly EpisodeDataset _dataset;
    private readonly EpisodeDataset? _validationDataset;
    private readonly EpisodeLoaderOptions _loaderOptions;
    private readonly SftObjective _objective;
    private readonly TrainingEngine<EpisodeBatch> _engine;
    private readonly TextWriter? _log;
    private readonly List<StepMetrics> _runMetrics = [];
    private readonly TrainerHardExamples? _hardExamples;
    private readonly ProcessGroup? _group;
    private EpisodeDataLoader _trainLoader;
    private bool? _hasValidation;
    private EpisodeBatch[] _window;
    private CheckpointStore? _store;
    private MetricsWriter? _metricsWriter;
    private TrainingEventLog? _events;
    private StepMetrics? _lastMetrics;
    private double? _lastValidationLoss;
    private bool _disposed;

    /// <summary>Creates a trainer positioned at step 0.</summary>
    /// <param name="model">The model to train (moved to <see cref="TrainerOptions.Device"/> when set; with
    /// <see cref="TrainingPrecision.BFloat16Masters"/> cast to bfloat16 after the engine copied its trainable parameters
    /// into float32 masters, so give it float32 to keep their exact values).</param>
    /// <param name="dataset">The open episode dataset (train split for training, validation split for evaluation).</param>
    /// <param name="options">The options.</param>
    /// <param name="log">Where to print progress lines; null prints nothing.</param>
    /// <param name="validation">A separate dataset to evaluate on (its validation split, or its train split when it has no
    /// validation episodes); null evaluates on <paramref name="dataset"/>'s validation split.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="dataset"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The dataset's vocabulary does not fit the model, or the block exceeds the model's.</exception>
    /// <exception cref="DistributedException">The broadcast of the initial weights failed (with a process group).</exception>
    public Trainer(ICausalLm model, EpisodeDataset dataset, TrainerOptions options, TextWriter? log = null, EpisodeDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckVocabulary(dataset, model, nameof(dataset));
        var block = options.BlockSize ?? model.MaxSequenceLength;
        if (block > model.MaxSequenceLength)
            throw new ArgumentException($"BlockSize {block} exceeds the model's maximum sequence length {model.MaxSequenceLength}.", nameof(options));
        if (options.IntraOpThreads is { } threads) TorchOps.SetNumThreads(threads);
        if (options.Device is { } device && model.Device != device) model.To(device);

        if (validation is not null) CheckVocabulary(validation, model, nameof(validation));
        Model = model;
        Options = options;
        _group = options.ProcessGroup is { WorldSize: > 1 } group ? group : null;
        _dataset = dataset;
        _validationDataset = validation;
        _log = log;
        _loaderOptions = new EpisodeLoaderOptions
        {
            BatchSize = options.BatchSize,
            BlockSize = block,
            Seed = options.Seed,
            LongEpisodes = options.LongEpisodes,
            UseLossMask = options.UseLossMask,
            IncludeAdvantages = options.UseAdvantages,
            IgnoreIndex = (int)options.Loss.IgnoreIndex,
            Rank = _group?.Rank ?? 0,
            WorldSize = _group?.WorldSize ?? 1,
            Packing = options.Packing,
        };
        _trainLoader = EpisodeDataLoader.CreateTrain(dataset, _loaderOptions);
        _window = Enumerable.Range(0, options.GradientAccumulationSteps).Select(_ => _trainLoader.CreateBatch()).ToArray();
        MaxSteps = options.Epochs is { } epochs
            ? Math.Max(1, (int)Math.Ceiling((double)epochs * _trainLoader.BatchesPerEpoch / options.GradientAccumulationSteps))
            : options.MaxSteps;
        _objective = new SftObjective(model, options.Loss, _group);
        _engine = new TrainingEngine<EpisodeBatch>(model.NamedParameters(), _objective, options, MaxSteps);
        if (_engine.Precision == TrainingPrecision.BFloat16Masters) model.To(model.Device, ScalarType.BFloat16); // the engine took its float32 masters; frozen parameters follow
        _engine.MicroBatchComputed += OnMicroBatch;
        if (options.HardExamples is not null && options.Packing)
            log?.WriteLine("hard examples: off while packing (a packed row mixes episodes; tracking is per row)");
        else if (options.HardExamples is not null) _hardExamples = new TrainerHardExamples(options, MaxSteps, log, _group);
        using (var g = Generator.GetDefault()) g.ManualSeed(options.Seed);
        if (model.Device.IsCuda)
        {
            using var g = Generator.GetDefault(model.Device); // dropout on the GPU draws from the device's generator
            g.ManualSeed(options.Seed);
        }
    }

    /// <summary>Raised after every optimizer step with its metrics (validation loss set on evaluation steps); handlers may
    /// cancel the run's token to stop after this step. With a handler every step reads its metrics from the device (one
    /// host read); without one only the steps that log, evaluate or checkpoint do, and the others queue without
    /// waiting for the GPU.</summary>
    public event Action<StepMetrics>? StepCompleted;

    /// <summary>Raised for every micro-batch after its backward pass with the batch and each row's masked mean cross-entropy
    /// before advantage weighting (from the training forward pass itself, no extra pass; 0 for a row without supervised
    /// targets), e.g. for custom hard-example tracking. Arguments: global step being computed (1-based), the batch (reused
    /// afterwards: copy what you keep), the per-row losses.</summary>
    public event Action<long, EpisodeBatch, float[]>? MicroBatchLossesComputed;

    /// <summary>The model being trained.</summary>
    public ICausalLm Model { get; }

    /// <summary>The options.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Completed optimizer steps.</summary>
    public long Step => _engine.Step;

    /// <summary>The resolved precision of the steps (<see cref="TrainingPrecision.Auto"/> resolved by the device).</summary>
    public TrainingPrecision Precision => _engine.Precision;

    /// <summary>Time spent in the data-parallel gradient and statistics all-reduces since this trainer was created (see
    /// <see cref="TrainingEngine{TBatch}.CollectiveTime"/>); zero without a process group.</summary>
    public TimeSpan CollectiveTime => _engine.CollectiveTime;

    /// <summary>True when this process writes the run's files: always without a process group, rank 0 with one.</summary>
    public bool IsMain => _group?.IsMain ?? true;

    /// <summary>The planned number of optimizer steps (from MaxSteps or Epochs).</summary>
    public long MaxSteps { get; }

    /// <summary>Where the training loader stands (the next batch).</summary>
    public LoaderState LoaderState => _trainLoader.State;

    /// <summary>The run's hard-example tracker (see <see cref="TrainerOptions.HardExamples"/>); null when tracking is off.
    /// Read it between steps (e.g. in <see cref="StepCompleted"/>); the trainer owns it.</summary>
    public HardExampleTracker? HardExamples => _hardExamples?.Tracker;

    /// <summary>Trains until <see cref="MaxSteps"/> or cancellation.</summary>
    /// <param name="cancellationToken">Stops between optimizer steps; a checkpoint of the last completed step is then written
    /// (when there is an output directory), so the run can resume.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    public TrainingResult Run(CancellationToken cancellationToken = default) => Run(MaxSteps, cancellationToken);

    /// <summary>Trains until the global step reaches <paramref name="untilStep"/> (at most <see cref="MaxSteps"/>) or cancellation.
    /// The schedule still spans <see cref="MaxSteps"/>, so stopping early and resuming equals one uninterrupted run.</summary>
    /// <param name="untilStep">The global step to stop at.</param>
    /// <param name="cancellationToken">Stops between optimizer steps (a checkpoint is written when there is an output directory).</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="untilStep"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    public TrainingResult Run(long untilStep, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(untilStep);
        var stop = Math.Min(untilStep, MaxSteps);
        var watch = Stopwatch.StartNew();
        var progress = _log is null ? null : new ProgressPrinter(_log);
        EnsureOutput();
        var startStep = Step;
        long positionsSinceRead = 0;                       // tokens of the steps since the last read metrics
        var lastRead = Stopwatch.GetTimestamp();
        var collectiveAtStart = CollectiveTime;
        string? lastCheckpoint = null;
        long lastCheckpointStep = -1;
        var cancelled = false;
        Model.Train();
        while (Step < stop)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }

            // The step's metrics stay on the device unless this step logs, evaluates or a StepCompleted handler wants
            // them: the other steps make no host read, so the host queues the next step while the GPU runs this one.
            using var pending = TrainStep();
            positionsSinceRead += pending.Positions;
            var logNow = Step % Options.LogInterval == 0 || Step == MaxSteps || Step == stop;
            var evalNow = IsMain && (Step == MaxSteps || (Options.EvalInterval > 0 && Step % Options.EvalInterval == 0));
            var checkpointNow = Options.OutputDirectory is not null && (Step == MaxSteps || (Options.CheckpointInterval > 0 && Step % Options.CheckpointInterval == 0));
            var read = logNow || (evalNow && HasValidation) || checkpointNow || StepCompleted is not null;
            if (read)
            {
                // Throughput over the steps since the last read (their kernels all ran before this read returned).
                var metrics = pending.Read();
                var now = Stopwatch.GetTimestamp();
                metrics = metrics with { TokensPerSecond = positionsSinceRead / Math.Max(Stopwatch.GetElapsedTime(lastRead, now).TotalSeconds, 1e-9) };
                positionsSinceRead = 0;
                if (_hardExamples is not null) metrics = metrics with { HardExamples = _hardExamples.Metrics() };
                if (evalNow && HasValidation)
                {
                    _lastValidationLoss = Evaluate();
                    metrics = metrics with { ValidationLoss = _lastValidationLoss };
                    logNow = true;
                }

                _lastMetrics = metrics;
                StepCompleted?.Invoke(metrics);
            }

            Options.Progress?.Report(new TrainingProgress(Step, MaxSteps));
            if (logNow)
            {
                var metrics = _lastMetrics!;
                _runMetrics.Add(metrics);
                _metricsWriter?.Write(metrics);
                _events?.Write(metrics);
                var done = Step - startStep;
                TimeSpan? eta = done > 0 ? TimeSpan.FromSeconds(watch.Elapsed.TotalSeconds / done * (stop - Step)) : null;
                progress?.Report(metrics, MaxSteps, eta);
            }

            if (_hardExamples?.AfterStep(Step, MaxSteps) is { } snapshot) _events?.Write(snapshot);

            if (checkpointNow)
            {
                var trackerStates = _group is null ? null : _hardExamples?.GatherStates(); // a collective: every rank
                if (_store is not null) lastCheckpoint = SaveCheckpointWith(trackerStates);
                lastCheckpointStep = Step;
            }

            if (read) lastRead = Stopwatch.GetTimestamp();  // evaluation, logging and checkpoints are not training time
        }

        if (cancelled && _store is not null && Step > startStep && lastCheckpointStep != Step)
        {
            lastCheckpoint = SaveCheckpoint();
            _log?.WriteLine($"cancelled at step {Step}; checkpoint {lastCheckpoint}");
        }

        if (_group is not null && Step > startStep)
        {
            var collective = CollectiveTime - collectiveAtStart;
            _log?.WriteLine(System.FormattableString.Invariant(
                $"data parallel (rank {_group.Rank} of {_group.WorldSize}): {collective.TotalMilliseconds / (Step - startStep):F2} ms per step in the gradient and statistics all-reduces, {100 * collective.TotalSeconds / Math.Max(watch.Elapsed.TotalSeconds, 1e-9):F1}% of the run's {watch.Elapsed.TotalSeconds:F1} s"));
        }

        var finalLoss = _lastMetrics?.Loss ?? double.NaN;
        var result = new TrainingResult(Step, MaxSteps, cancelled, _runMetrics.ToList(), finalLoss, _lastValidationLoss, watch.Elapsed,
            lastCheckpoint ?? _store?.Latest(), _hardExamples?.Current(Step));
        if (Options.OutputDirectory is { } run && IsMain)
        {
            var report = TrainingReport.Write(run, result, Model, _dataset.DirectoryPath);
            TrainingReportHtml.Write(run, new TrainingReportContent
            {
                Result = result,
                Model = CausalLmDescription.Of(Model),
                DatasetPath = _dataset.DirectoryPath,
                Configuration = TrainingReportHtml.ConfigurationOf(Options),
                Decoder = Options.HardExampleDecoder,
            });
            result = result with { ReportPath = report };
        }

        return result;
    }

    /// <summary>The token-mean masked loss over the validation split (at most <see cref="TrainerOptions.EvalBatches"/>
    /// batches, always the same ones), in evaluation mode; null when the split has no batch.</summary>
    /// <returns>The loss, or null.</returns>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    public double? Evaluate()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!HasValidation) return null;
        var loader = CreateValidationLoader(); // from its first batch every time (unsharded: every rank sees the same split)
        var wasTraining = Model.IsTraining;
        Model.Train(false);
        try
        {
            using var noGrad = new NoGradScope();
            double sum = 0;
            long tokens = 0;
            var batches = 0;
            foreach (var batch in loader.EnumerateEpoch())
            {
                var (loss, targets) = _objective.Evaluate(batch);
                sum += loss;
                tokens += targets;
                if (++batches >= (Options.EvalBatches ?? int.MaxValue)) break;
            }

            return tokens > 0 ? sum / tokens : 0.0;
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>Writes a checkpoint of the current step into the run's checkpoints/ folder (atomically; old ones pruned).</summary>
    /// <returns>The checkpoint folder.</returns>
    /// <exception cref="InvalidOperationException">The options have no output directory.</exception>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    /// <exception cref="InvalidOperationException">With a process group, on a rank other than 0 (rank 0 writes checkpoints).</exception>
    public string SaveCheckpoint() => SaveCheckpointWith(trackerStates: null);

    private string SaveCheckpointWith(byte[][]? trackerStates)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsMain) throw new InvalidOperationException($"rank {_group!.Rank} does not write checkpoints; rank 0 does (with every rank's state).");
        EnsureOutput();
        if (_store is null) throw new InvalidOperationException("SaveCheckpoint needs TrainerOptions.OutputDirectory.");
        return _store.Save(Step, folder =>
        {
            WriteCheckpoint(folder);
            if (trackerStates is not null) TrainerHardExamples.WriteStates(folder, trackerStates);
        });
    }

    /// <summary>Writes the checkpoint files of the current step into an existing, empty folder (non-atomic; see <see cref="SaveCheckpoint"/>).</summary>
    /// <param name="folder">The folder.</param>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    public void WriteCheckpoint(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using (_engine.UseMasterWeights()) Model.Save(folder); // BFloat16Masters: the float32 masters are the checkpoint's weights
        var state = CheckpointFiles.SaveOptimizer(folder, _engine.Optimizer);

        byte[] rng;
        using (var g = Generator.GetDefault()) rng = g.GetState();
        _hardExamples?.Save(folder);
        string? cudaRng = null;
        if (Model.Device.IsCuda)
        {
            using var g = Generator.GetDefault(Model.Device);
            cudaRng = Convert.ToBase64String(g.GetState());
        }
        var meta = new CheckpointMetadata
        {
            Step = Step,
            MaxSteps = MaxSteps,
            Scheduler = new SchedulerState(Step, _engine.Schedule.Peak, _engine.Schedule.Minimum, _engine.Schedule.WarmupSteps, _engine.Schedule.TotalSteps),
            Loader = _trainLoader.State,
            CpuRngState = Convert.ToBase64String(rng),
            CudaRngState = cudaRng,
            Architecture = Model.Architecture,
            Optimizer = new OptimizerSettings("adamw", Options.Beta1, Options.Beta2, Options.AdamEpsilon, Options.WeightDecay, state.Count(name => name.EndsWith(".exp_avg", StringComparison.Ordinal))),
            DatasetPath = _dataset.DirectoryPath,
            LastMetrics = _lastMetrics,
            HardExamplesFile = _hardExamples is null ? null : TrainerHardExamples.StateFileName,
        };
        File.WriteAllText(Path.Combine(folder, CheckpointMetadata.FileName), meta.ToJson());
    }

    /// <summary>Restores a checkpoint into this trainer and its model: weights, optimizer moments and steps, scheduler step,
    /// CPU RNG state, loader position and the hard-example tracker; metrics.jsonl and hard_examples.jsonl keep only the lines
    /// up to the checkpoint's step.</summary>
    /// <param name="checkpointDirectory">A step-NNNNNNNN folder (or a run's checkpoints/ folder, meaning its newest).</param>
    /// <returns>The checkpoint's metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpointDirectory"/> is null.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is incomplete, corrupt, or for another model configuration.</exception>
    /// <exception cref="ArgumentException">The loader state belongs to another dataset or loader settings.</exception>
    public CheckpointMetadata LoadCheckpoint(string checkpointDirectory)
    {
        ArgumentNullException.ThrowIfNull(checkpointDirectory);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var folder = ResolveCheckpoint(checkpointDirectory);
        var meta = CheckpointMetadata.Read(folder);
        if (meta.Architecture != Model.Architecture)
            throw new InvalidDataException($"{folder}: the checkpoint is for a {meta.Architecture} model but this trainer's model is {Model.Architecture}.");
        if (meta.MaxSteps != MaxSteps)
            _log?.WriteLine($"note: the checkpoint planned {meta.MaxSteps} steps, this run plans {MaxSteps}; the learning-rate schedule follows this run's.");
        try
        {
            using (_engine.UseMasterWeights()) Model.LoadSavedWeights(folder); // BFloat16Masters: into the masters, then rounded
        }
        catch (SafetensorsTensorException e)
        {
            throw new InvalidDataException($"{folder}: the checkpoint's weights do not fit this trainer's model ({CausalLmDescription.Of(Model)}): {e.Message}", e);
        }

        CheckpointFiles.LoadOptimizer(folder, _engine.Optimizer, Model.Device);

        var rngFile = Path.Combine(folder, CheckpointMetadata.FileName);
        try
        {
            using (var g = Generator.GetDefault()) g.SetState(Convert.FromBase64String(meta.CpuRngState));
            if (meta.CudaRngState is { } cuda && Model.Device.IsCuda)
            {
                using var g = Generator.GetDefault(Model.Device);
                g.SetState(Convert.FromBase64String(cuda));
            }
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"{rngFile}: field 'cpuRngState' / 'cudaRngState' is not a generator state of this libtorch ({e.Message}).", e);
        }

        try
        {
            _trainLoader = EpisodeDataLoader.CreateTrain(_dataset, _loaderOptions, meta.Loader);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            throw new ArgumentException($"{rngFile}: field 'loader': {e.Message}", e);
        }

        _engine.Restore(meta.Step);
        _lastMetrics = meta.LastMetrics;
        _metricsWriter?.Dispose();
        _metricsWriter = Options.OutputDirectory is null || !IsMain ? null : new MetricsWriter(Path.Combine(Options.OutputDirectory, "metrics.jsonl"), keepUpToStep: Step);
        _events?.Dispose();
        _events = Options.OutputDirectory is null || !IsMain || !Options.TensorBoard ? null : new TrainingEventLog(Options.OutputDirectory, resumedAfterStep: Step);
        if (_hardExamples is not null)
        {
            if (_hardExamples.Restore(folder, Step) is { } note) _log?.WriteLine(note);
            if (Options.OutputDirectory is { } run && IsMain) _hardExamples.OpenLog(run, keepUpToStep: Step);
        }

        return meta;
    }

    /// <summary>While the returned scope is open, the model's trainable parameters hold the float32 master weights of
    /// <see cref="TrainingPrecision.BFloat16Masters"/> (e.g. <c>using (trainer.UseMasterWeights()) model.Save(dir);</c>
    /// saves full-precision weights); without master weights it does nothing. See
    /// <see cref="TrainingEngine{TBatch}.UseMasterWeights"/>.</summary>
    /// <returns>The scope (dispose it before the next step).</returns>
    /// <exception cref="ObjectDisposedException">The trainer was disposed.</exception>
    public IDisposable UseMasterWeights()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _engine.UseMasterWeights();
    }

    /// <summary>The newest checkpoint folder under a run's checkpoints/ folder, or the folder itself when it is a checkpoint.</summary>
    /// <param name="path">A checkpoint folder, a checkpoints/ folder or a run directory.</param>
    /// <returns>The checkpoint folder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">No checkpoint was found there.</exception>
    public static string ResolveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointFiles.Resolve(path, CheckpointMetadata.FileName)
            ?? throw new InvalidDataException($"{path}: no checkpoint found (expected {CheckpointMetadata.FileName}, or step-NNNNNNNN folders under it or under its checkpoints/).");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _engine.Dispose();
        _metricsWriter?.Dispose();
        _events?.Dispose();
        _hardExamples?.Dispose();
    }

    private bool HasValidation
    {
        get
        {
            _hasValidation ??= CreateValidationLoader().BatchesPerEpoch > 0;
            return _hasValidation.Value;
        }
    }

    /// <summary>The evaluation loader: the validation split of the validation dataset (or of the training dataset); a separate
    /// validation dataset without validation episodes is evaluated on its train split. Index order, no dropped batch.</summary>
    private EpisodeDataLoader CreateValidationLoader()
    {
        var source = _validationDataset ?? _dataset;
        var split = _validationDataset is not null && source.Header.ValidationEpisodeCount == 0 ? DatasetSplit.Train : DatasetSplit.Validation;
        return new EpisodeDataLoader(source, split, _loaderOptions with
        {
            Shuffle = false,
            DropLast = false,
            BatchSize = _loaderOptions.BatchSize * _loaderOptions.WorldSize, // the global batch: the same numbers as one process
            Rank = 0,
            WorldSize = 1,
        });
    }

    private void EnsureOutput()
    {
        if (Options.OutputDirectory is not { } dir || _store is not null || !IsMain) return;
        Directory.CreateDirectory(dir);
        _store = new CheckpointStore(Path.Combine(dir, "checkpoints"), Options.KeepCheckpoints);
        if (_metricsWriter is null)
        {
            _metricsWriter = new MetricsWriter(Path.Combine(dir, "metrics.jsonl"), keepUpToStep: Step > 0 ? Step : null);
            _hardExamples?.OpenLog(dir, keepUpToStep: Step > 0 ? Step : null);
        }

        if (_events is null && Options.TensorBoard) _events = new TrainingEventLog(dir, resumedAfterStep: Step > 0 ? Step : null);
    }

    private static void CheckVocabulary(EpisodeDataset data, ICausalLm model, string parameter)
    {
        if (data.VocabSize > model.VocabSize)
            throw new ArgumentException($"{data.DirectoryPath}: vocabulary {data.VocabSize} exceeds the model's {model.VocabSize}. Hint: build the model with a vocabulary of at least {data.VocabSize}.", parameter);
    }

    private PendingStepMetrics TrainStep()
    {
        foreach (var batch in _window) _trainLoader.NextBatch(batch);
        return _engine.RunStepDeferred(_window);
    }

    /// <summary>After a micro-batch's backward pass: its rows to the hard-example tracker (no host copies before tracking
    /// starts, unless a <see cref="MicroBatchLossesComputed"/> handler wants them).</summary>
    private void OnMicroBatch(long step, EpisodeBatch batch, MicroBatchLoss output)
    {
        var track = _hardExamples?.Tracks(step) == true;
        if (!track && MicroBatchLossesComputed is null) return;
        float[] rowLoss;
        if (track)
        {
            // One host read for both (B) vectors: the losses and the supervised-target counts.
            var both = TorchOps.Cat([output.RowLoss, output.RowTargets.To(ScalarType.Float32)], 0).ToArray<float>(); // (2B)
            var rows = both.Length / 2;
            rowLoss = both[..rows];
            _hardExamples!.Observe(step, batch, rowLoss, both[rows..]);
        }
        else
        {
            rowLoss = output.RowLoss.ToArray<float>();
        }

        MicroBatchLossesComputed?.Invoke(step, batch, rowLoss);
    }
}
