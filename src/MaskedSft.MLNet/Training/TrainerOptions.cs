// Settings of the Trainer: length, batch shape, accumulation, schedule, AdamW, clipping, seed, device, intervals, output.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Losses;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// The settings of a training run, with the one set of defaults that every entry point uses: <see cref="Trainer"/>, the
/// estimator (<c>MaskedSftTrainer.Options</c> derives from this record), <c>maskedsft train</c> (its help shows these
/// values) and the testing kit's mock run (<c>maskedsft mock-train</c>). One optimizer step consumes
/// <see cref="GradientAccumulationSteps"/> micro-batches of <see cref="BatchSize"/> rows.
/// <para>Defaults: 200 steps of 16 rows (1 micro-batch); AdamW at a peak learning rate of 1e-3 after 20 warmup steps,
/// cosine decay to a tenth of the peak, betas (0.9, 0.95), epsilon 1e-8, weight decay 0.1 on matrices and embeddings;
/// gradient-norm clipping at 1.0; seed 1337; a metrics line every 10 steps, validation every 100 steps on 20 batches, a
/// checkpoint every 100 steps, 3 kept; token-mean masked loss with the dataset's advantages; truncation of long episodes;
/// hard-example tracking with 50 entries, quantile 0.9 and a snapshot every 50 steps, from the first step after warmup.</para>
/// </summary>
public record TrainerOptions
{
    /// <summary>Number of optimizer steps (default 200). Ignored when <see cref="Epochs"/> is set.</summary>
    public int MaxSteps { get; init; } = 200;

    /// <summary>Train for this many passes over the training split instead of <see cref="MaxSteps"/> (null = use MaxSteps).</summary>
    public int? Epochs { get; init; }

    /// <summary>Rows per micro-batch (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Micro-batches per optimizer step (default 1). The loss uses one <see cref="LossNormalizer"/> over the whole
    /// window, so k micro-batches of B rows give exactly the gradient of one batch of k·B rows.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Pack several episodes into each row of T positions (default false; <see cref="EpisodeLoaderOptions.Packing"/>):
    /// document ids and positions restart per episode, so attention and loss stay inside each episode. Hard-example
    /// tracking is per row, so it is off while packing.</summary>
    public bool Packing { get; init; }

    /// <summary>Positions per row T; null uses the model's block size.</summary>
    public int? BlockSize { get; init; }

    /// <summary>Peak learning rate (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Learning rate at the end of the cosine decay; null (the default) = a tenth of <see cref="LearningRate"/>.
    /// Set it to <see cref="LearningRate"/> (with no warmup) for a constant rate.</summary>
    public double? MinLearningRate { get; init; }

    /// <summary>The rate the cosine decay ends at: <see cref="MinLearningRate"/>, or a tenth of the peak.</summary>
    public double FinalLearningRate => MinLearningRate ?? LearningRate / 10;

    /// <summary>Linear warmup steps (default 20).</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>AdamW beta1 (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW beta2 (default 0.95).</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW epsilon (default 1e-8).</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay of matrices and embeddings; biases and LayerNorm weights get none (default 0.1).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Clip the global gradient norm to this value; 0 disables clipping (default 1.0).</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Seed of the data order and of the dropout generator (default 1337).</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>Where to train; null keeps the model's device.</summary>
    public Device? Device { get; init; }

    /// <summary>Log a metrics line (and a progress line) every this many steps, and at the last step (default 10).</summary>
    public int LogInterval { get; init; } = 10;

    /// <summary>Evaluate the validation loss every this many steps and at the end; 0 = only at the end (default 100).</summary>
    public int EvalInterval { get; init; } = 100;

    /// <summary>Validation batches per evaluation; null = the whole validation split (default 20).</summary>
    public int? EvalBatches { get; init; } = 20;

    /// <summary>Save a checkpoint every this many steps and at the end (needs <see cref="OutputDirectory"/>); 0 = only at the end (default 100).</summary>
    public int CheckpointInterval { get; init; } = 100;

    /// <summary>How many checkpoints to keep (default 3).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>The loss: reduction, aggregation, advantage normalisation, temperature, ignore index (default token-mean).</summary>
    public WeightedSftLossOptions Loss { get; init; } = new();

    /// <summary>Train only on targets whose mask bit is 1 (default true); false trains on every real target.</summary>
    public bool UseLossMask { get; init; } = true;

    /// <summary>Weight token losses by the dataset's advantages when it has them (default true).</summary>
    public bool UseAdvantages { get; init; } = true;

    /// <summary>What to do with episodes longer than the block (default truncate).</summary>
    public LongEpisodePolicy LongEpisodes { get; init; } = LongEpisodePolicy.Truncate;

    /// <summary>Run directory for metrics.jsonl and checkpoints/; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Write TensorBoard event files under <c>{OutputDirectory}/tensorboard/</c> (default true; nothing without an
    /// output directory): the scalars of every metrics.jsonl line and the hard-example snapshots as text and thumbnails
    /// (<see cref="TrainingEventLog"/>, docs/reports.md).</summary>
    public bool TensorBoard { get; init; } = true;

    /// <summary>Receives the step count after every optimizer step (e.g. a terminal progress bar); null reports nothing.
    /// Called on the training thread: keep it cheap.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>libtorch intra-op threads for the run; null keeps the current setting.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Hard-example tracking: the tracker's capacity K (default 50), high-loss quantile (0.9) and snapshot interval
    /// in steps (50). Every micro-batch row with supervised targets is offered with its masked mean cross-entropy, keyed by
    /// episode and window; snapshots go to <c>hard_examples.jsonl</c>, the progress log and <c>report.md</c>, and the
    /// tracker is saved with checkpoints. Null turns tracking off.</summary>
    public HardExampleTrackerOptions? HardExamples { get; init; } = new();

    /// <summary>Decodes hard examples' supervised tokens to text (e.g. the dataset's <see cref="Tokenizers.BpeTokenizer"/>);
    /// null shows token ids.</summary>
    public ITokenDecoder? HardExampleDecoder { get; init; }

    /// <summary>The first step whose samples the hard-example tracker sees; null = the first step after the learning-rate
    /// warmup (during warmup every loss is high and says little about the samples), or the step after the run's midpoint
    /// when the warmup is longer than half the run.</summary>
    public int? HardExamplesStartStep { get; init; }

    /// <summary>Data-parallel training over this process group (e.g. <c>ProcessGroup.FromEnvironment()</c> under
    /// <c>maskedsft launch</c>); null or a world of one trains in this process alone, exactly as without it. With W ranks,
    /// <see cref="BatchSize"/> is each rank's share: a step's global batch is W·BatchSize rows (times the accumulation),
    /// the loss is normalised by the global supervised-token count and the gradients are summed across ranks before
    /// clipping, so W ranks of B rows train exactly like one process of W·B rows. Rank 0 writes metrics, checkpoints,
    /// hard examples and the report. The caller owns the group (the trainer does not dispose it).</summary>
    public ProcessGroup? ProcessGroup { get; init; }

    /// <summary>The step's precision; <see cref="TrainingPrecision.Auto"/> (default) =
    /// <see cref="TrainingPrecision.BFloat16Masters"/> on CUDA (a bfloat16 model and bfloat16 compute with float32 master
    /// weights, gradient accumulation and AdamW moments kept by the engine; checkpoints hold the masters), float32
    /// elsewhere. <see cref="TrainingPrecision.BFloat16Autocast"/> keeps a float32 model under bfloat16 autocast;
    /// <see cref="TrainingPrecision.BFloat16"/> is pure bfloat16 (the model must be bfloat16). docs/architecture.md,
    /// "Precision", compares them.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    /// <summary>Let float32 matrix products on CUDA use TF32 tensor cores (default true; process-wide, set when the
    /// engine starts; no effect on the CPU).</summary>
    public bool AllowTF32 { get; init; } = true;

    /// <summary>AdamW's kernels (default <see cref="AdamWImplementation.Fused"/>: PyTorch's fused CUDA kernel on libtorch
    /// 2.1+, multi-tensor kernels elsewhere); every choice computes the same update.</summary>
    public AdamWImplementation OptimizerImplementation { get; init; } = AdamWImplementation.Fused;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Loss"/> is null.</exception>
    public virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSteps, nameof(MaxSteps));
        if (Epochs is <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be positive (or null to use MaxSteps).");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(GradientAccumulationSteps, nameof(GradientAccumulationSteps));
        if (BlockSize is <= 0) throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "BlockSize must be positive (or null for the model's).");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be a positive finite number.");
        if (MinLearningRate is { } min && (!(min >= 0) || min > LearningRate)) throw new ArgumentOutOfRangeException(nameof(MinLearningRate), MinLearningRate, $"MinLearningRate must be within [0, LearningRate={LearningRate}] (or null for a tenth of it).");
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must be in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must be in [0, 1).");
        if (!(AdamEpsilon > 0)) throw new ArgumentOutOfRangeException(nameof(AdamEpsilon), AdamEpsilon, "AdamEpsilon must be positive.");
        if (!(WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be >= 0.");
        if (!(GradientClip >= 0)) throw new ArgumentOutOfRangeException(nameof(GradientClip), GradientClip, "GradientClip must be >= 0 (0 disables clipping).");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LogInterval, nameof(LogInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(EvalInterval, nameof(EvalInterval));
        if (EvalBatches is <= 0) throw new ArgumentOutOfRangeException(nameof(EvalBatches), EvalBatches, "EvalBatches must be positive (or null for the whole split).");
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointInterval, nameof(CheckpointInterval));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(KeepCheckpoints, nameof(KeepCheckpoints));
        if (IntraOpThreads is <= 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "IntraOpThreads must be positive (or null).");
        if (HardExamplesStartStep is < 1) throw new ArgumentOutOfRangeException(nameof(HardExamplesStartStep), HardExamplesStartStep, "HardExamplesStartStep must be at least 1 (or null for the first step after warmup).");
        HardExamples?.Validate();
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Precision must be Auto, Float32, BFloat16Autocast, BFloat16 or BFloat16Masters.");
        if (!Enum.IsDefined(OptimizerImplementation)) throw new ArgumentOutOfRangeException(nameof(OptimizerImplementation), OptimizerImplementation, "OptimizerImplementation must be PerTensor, MultiTensor or Fused.");
        ArgumentNullException.ThrowIfNull(Loss, nameof(Loss));
        Loss.Validate();
    }
}
