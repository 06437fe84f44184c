// The one training engine: micro-batches -> objective loss -> backward -> clip -> AdamW on the schedule -> step metrics.
using System.Diagnostics;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Training;

/// <summary>
/// One optimizer step at a time, for any <see cref="ITrainingObjective{TBatch}"/>: sets the learning rate of the warmup +
/// cosine schedule, lets the objective see the whole accumulation window (<see cref="ITrainingObjective{TBatch}.PrepareStep"/>),
/// back-propagates every micro-batch's loss into the accumulated gradients (one dispose scope per micro-batch), clips the
/// global gradient norm, steps AdamW (weight decay on parameters of two or more dimensions only) and returns the step's
/// <see cref="StepMetrics"/>. The SFT <see cref="Trainer"/>, the testing kit's mock run and its masked-pattern check all
/// train through it; what surrounds a step (data, evaluation, metrics files, hard examples, checkpoints) is theirs.
/// <para>Exact resume: the engine's state is the optimizer's (<see cref="Optimizer"/>, GetState/LoadState) and the step
/// count (<see cref="Restore"/>); the schedule is a function of the step.</para>
/// <para>Data parallel (<see cref="TrainerOptions.ProcessGroup"/> with W &gt; 1 ranks): the constructor broadcasts rank 0's
/// parameters, so every rank starts from the same weights; after the window's backward passes the gradients are summed
/// across the ranks (bucketed all-reduce) before the global norm is clipped, so every rank takes the same AdamW step. The
/// objective must make each rank's loss its share of the global batch (as <see cref="SftObjective"/> does with the same
/// group); the step's metrics (loss, accuracy, largest row loss, throughput) are global, the same on every rank.</para>
/// <para>Master weights (<see cref="TrainingPrecision.BFloat16Masters"/>): the constructor copies every trainable parameter
/// into a float32 master (before any cast, so float32 values are kept exactly) and makes the parameters bfloat16 (holding the
/// masters rounded). Each micro-batch's bfloat16 gradients are added into the masters' float32 gradients and freed; the
/// all-reduce, clipping, the gradient and parameter norms and AdamW (its moments float32, its state named after the
/// parameters) work on the masters; after the update the masters are rounded into the bfloat16 parameters and their
/// gradients freed. Frozen parameters are the caller's to cast (see <see cref="UseMasterWeights"/> for checkpoints).</para>
/// </summary>
/// <typeparam name="TBatch">The micro-batch type.</typeparam>
public sealed class TrainingEngine<TBatch> : IDisposable
{
    /// <summary>What <see cref="TrainingPrecision.Auto"/> resolves to on CUDA (on the CPU it is <see cref="TrainingPrecision.Float32"/>).
    /// Every caller handles any resolved precision (callers that own the model cast it after the engine for
    /// <see cref="TrainingPrecision.BFloat16Masters"/>), so choosing another default is this one line.</summary>
    internal const TrainingPrecision CudaDefault = TrainingPrecision.BFloat16Masters;

    private readonly IReadOnlyList<Parameter> _stepped;      // what AdamW, clipping, the norms and the all-reduce see: the parameters, or their masters
    private readonly MasterWeights? _masters;                // BFloat16Masters only
    private readonly ITrainingObjective<TBatch> _objective;
    private readonly double _clip;
    private readonly ProcessGroup? _group;
    private readonly Device _device;
    private bool _disposed;

    /// <summary>Creates the engine at step 0: AdamW over the parameters (from <paramref name="options"/>: learning rate,
    /// betas, epsilon, weight decay of matrices and embeddings) and the schedule over <paramref name="maxSteps"/>.</summary>
    /// <param name="parameters">The trainable parameters with unique names (e.g. <c>model.NamedParameters()</c>). With
    /// <see cref="TrainingPrecision.BFloat16Masters"/> they may be float32 (their values become the masters; the engine
    /// casts them to bfloat16) or bfloat16 (the masters are their values widened).</param>
    /// <param name="objective">What to optimize.</param>
    /// <param name="options">Learning rate, schedule, AdamW settings and clipping (the rest is read by the caller).</param>
    /// <param name="maxSteps">The number of optimizer steps the schedule spans.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">There are no parameters.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or <paramref name="maxSteps"/> is not in [1, int.MaxValue].</exception>
    /// <exception cref="DistributedException">The broadcast of the initial weights failed (with a process group).</exception>
    public TrainingEngine(IEnumerable<(string Name, Parameter Parameter)> parameters, ITrainingObjective<TBatch> objective, TrainerOptions options, long maxSteps)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSteps, int.MaxValue);
        var named = parameters.ToList();
        if (named.Count == 0) throw new ArgumentException("the engine needs at least one trainable parameter.", nameof(parameters));
        var trainable = named.Select(p => p.Parameter).ToList();
        _device = trainable[0].Device;
        Precision = Resolve(options.Precision, _device, trainable);
        if (Precision == TrainingPrecision.BFloat16Masters) _masters = new MasterWeights(named); // from the values before any cast
        var stepped = _masters?.Named ?? named;
        var decay = stepped.Where(p => p.Parameter.Dim >= 2).ToList();
        var noDecay = stepped.Where(p => p.Parameter.Dim < 2).ToList();
        Optimizer = decay.Count > 0
            ? new AdamW(decay, options.LearningRate, options.Beta1, options.Beta2, options.AdamEpsilon, options.WeightDecay)
            : new AdamW(noDecay, options.LearningRate, options.Beta1, options.Beta2, options.AdamEpsilon, weightDecay: 0.0);
        if (decay.Count > 0 && noDecay.Count > 0) Optimizer.AddParameterGroup(noDecay, weightDecay: 0.0);
        Schedule = new LearningRateSchedule(options.LearningRate, options.WarmupSteps, (int)maxSteps, options.FinalLearningRate);
        _stepped = stepped.Select(p => p.Parameter).ToList();
        _objective = objective;
        _clip = options.GradientClip > 0 ? options.GradientClip : double.PositiveInfinity;
        MaxSteps = maxSteps;
        _group = options.ProcessGroup is { WorldSize: > 1 } group ? group : null;
        Optimizer.Implementation = options.OptimizerImplementation;
        if (_device.IsCuda) TorchOps.AllowTF32 = options.AllowTF32;
        if (_group is not null)
        {
            using var noGrad = new NoGradScope();
            _group.Broadcast(_stepped.Cast<Tensor>().ToList(), root: 0); // identical initial weights (the masters, when there are)
        }

        _masters?.RoundIntoParameters(); // the trainable parameters become bfloat16
    }

    /// <summary>Raised for every micro-batch after its backward pass, while its tensors are alive: the 1-based step being
    /// computed, the batch and the objective's output (e.g. for hard-example tracking; copy what you keep).</summary>
    public event Action<long, TBatch, MicroBatchLoss>? MicroBatchComputed;

    /// <summary>The optimizer (its state is what a checkpoint saves besides the step). With
    /// <see cref="TrainingPrecision.BFloat16Masters"/> it steps the float32 masters, under the parameters' names.</summary>
    public AdamW Optimizer { get; }

    /// <summary>The learning-rate schedule over <see cref="MaxSteps"/>.</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>The number of optimizer steps the schedule spans.</summary>
    public long MaxSteps { get; }

    /// <summary>Completed optimizer steps.</summary>
    public long Step { get; private set; }

    /// <summary>Time this engine spent in the per-step collectives of data-parallel training (the gradient all-reduce and
    /// the statistics' all-reduces, including any wait for a slower rank; the objective's count all-reduce is not in it);
    /// zero without a process group.</summary>
    public TimeSpan CollectiveTime { get; private set; }

    /// <summary>The objective.</summary>
    public ITrainingObjective<TBatch> Objective => _objective;

    /// <summary>Runs one optimizer step over the micro-batches of one accumulation window.</summary>
    /// <param name="window">The step's micro-batches (filled; at least one).</param>
    /// <returns>The step's metrics: loss (sum of the micro-batches' shares), gradient norm before clipping, parameter norm
    /// after the update, token accuracy, largest row loss, learning rate, throughput and supervised targets.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="window"/> is null.</exception>
    /// <exception cref="ArgumentException">The window is empty.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="DistributedException">A collective failed (another rank ended or timed out).</exception>
    /// <exception cref="InvalidOperationException">With <see cref="TrainingPrecision.BFloat16Masters"/>, the forward pass
    /// met mismatched dtypes (e.g. frozen float32 parameters); the message has the hint.</exception>
    public StepMetrics RunStep(IReadOnlyList<TBatch> window)
    {
        using var pending = RunStepDeferred(window);
        return pending.Read();
    }

    /// <summary>Runs one optimizer step like <see cref="RunStep"/> but leaves its metrics on the device, so nothing waits
    /// for the GPU: the host queues the next step while this one runs. Read the metrics on the steps that log
    /// (<see cref="PendingStepMetrics.Read"/>, one host read) and dispose the others.</summary>
    /// <param name="window">The step's micro-batches (filled; at least one).</param>
    /// <returns>The step's pending metrics (dispose them).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="window"/> is null.</exception>
    /// <exception cref="ArgumentException">The window is empty.</exception>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    /// <exception cref="DistributedException">A collective failed (another rank ended or timed out).</exception>
    /// <exception cref="InvalidOperationException">See <see cref="RunStep"/>.</exception>
    public PendingStepMetrics RunStepDeferred(IReadOnlyList<TBatch> window)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(window);
        if (window.Count == 0) throw new ArgumentException("a step needs at least one micro-batch.", nameof(window));
        var stepStarted = Stopwatch.GetTimestamp();
        var lr = Schedule.At(Step);
        Optimizer.LearningRate = lr;
        var supervised = _objective.PrepareStep(window);
        Optimizer.ZeroGrad();
        _masters?.DropParameterGradients();
        long positions = 0;
        using var stepScope = new DisposeScope();
        var shares = new List<Tensor>(window.Count);                                                // (3) each
        foreach (var batch in window)
        {
            using var scope = new DisposeScope();
            var output = Compute(batch);
            output.Loss.Backward();
            _masters?.AccumulateGradients(); // bfloat16 gradients into the float32 masters' (and freed)
            using var noGrad = new NoGradScope();
            shares.Add(MicroBatchStatistics(output).MoveToOuterScope());
            MicroBatchComputed?.Invoke(Step + 1, batch, output);
            positions += output.Positions;
        }

        using (var noGrad = new NoGradScope())
        {
            var all = TorchOps.Stack(shares, 0);                                                     // (M, 3)
            var sums = all.Narrow(1, 0, 2).Sum(0);                                                   // (2) loss, hits
            var maxRow = all.Select(1, 2).Max();                                                     // ()
            if (_group is not null)
            {
                var started = Stopwatch.GetTimestamp();
                (sums, maxRow, positions) = ReduceAcrossRanks(_group, sums, maxRow, positions);
                CollectiveTime += Stopwatch.GetElapsedTime(started);
            }

            var gradNorm = TorchOps.ClipGradNormOnDevice(_stepped, _clip).To(ScalarType.Float64);    // ()
            Optimizer.Step();
            if (_masters is not null)
            {
                _masters.RoundIntoParameters();
                Optimizer.ZeroGrad(); // the masters' float32 gradients live only within a step
            }

            Step++;
            var paramNorm = TorchOps.TotalNorm(_stepped).To(ScalarType.Float64);                     // ()
            var device = sums.Device;
            var values = TorchOps.Cat([sums, maxRow.Unsqueeze(0), gradNorm.To(device).Unsqueeze(0), paramNorm.To(device).Unsqueeze(0)], 0)
                .DetachFromDisposeScope();                                                           // (5), read by PendingStepMetrics
            return new PendingStepMetrics(Step, values, lr, positions, supervised, stepStarted);
        }
    }

    /// <summary>The resolved precision of the steps (<see cref="TrainingPrecision.Auto"/> resolved by the parameters' device).</summary>
    public TrainingPrecision Precision { get; }

    /// <summary>A micro-batch's loss share, argmax hits and largest row loss as one (3) float64 tensor on the loss's
    /// device, so the step reads all of its statistics back with one host read.</summary>
    private static Tensor MicroBatchStatistics(MicroBatchLoss output)
    {
        var device = output.Loss.Device;
        var maxRow = output.RowLoss.NumberOfElements > 0
            ? output.RowLoss.Max().To(device, ScalarType.Float64)                                    // ()
            : TorchOps.Zeros([], ScalarType.Float64, device);
        return TorchOps.Stack([output.Loss.Detach().To(ScalarType.Float64), output.CorrectTargets.To(device, ScalarType.Float64), maxRow], 0); // (3)
    }

    /// <summary>Points every trainable parameter at its float32 master weight until the returned scope is disposed, for
    /// code that reads or writes the weights between steps, such as checkpoints:
    /// <c>using (engine.UseMasterWeights()) model.Save(folder);</c> writes the float32 masters (the full-precision weights a
    /// resume continues from exactly), and <c>using (engine.UseMasterWeights()) model.LoadSavedWeights(folder);</c> loads
    /// a checkpoint into the masters. Inside the scope the trainable parameters are float32 and share the masters'
    /// storage (no copy); disposing it gives them back their bfloat16 data holding the masters rounded to nearest.
    /// Frozen parameters are not touched. Outside <see cref="TrainingPrecision.BFloat16Masters"/> the scope does nothing.
    /// Do not run a step inside the scope.</summary>
    /// <returns>The scope (dispose it).</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public IDisposable UseMasterWeights()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _masters?.Expose() ?? NoScope.Instance;
    }

    /// <summary>The objective's loss of one micro-batch, under autocast when the steps use it. With master weights a dtype
    /// mismatch in the forward pass (a frozen float32 parameter meeting bfloat16 activations) gets a hint.</summary>
    private MicroBatchLoss Compute(TBatch batch)
    {
        try
        {
            using (Autocast()) return _objective.Compute(batch);
        }
        catch (TorchException e) when (_masters is not null && (e.Message.Contains("dtype", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("scalar type", StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"the forward pass failed under TrainingPrecision.BFloat16Masters: {e.Message} Hint: the engine casts only the trainable parameters it was given to bfloat16; frozen parameters (and floating buffers) are the caller's: cast the whole model after creating the engine (model.To(model.Device, ScalarType.BFloat16)), as Trainer, AtroposTrainer and OnPolicyGrpoTrainer do.", e);
        }
    }

    /// <summary>An autocast scope when the steps run under bfloat16 autocast, else null.</summary>
    private AutocastScope? Autocast() => Precision == TrainingPrecision.BFloat16Autocast ? new AutocastScope(_device, ScalarType.BFloat16) : null;

    /// <summary>The precision the options ask for on the parameters' device, checked against the parameters' dtype.</summary>
    private static TrainingPrecision Resolve(TrainingPrecision asked, Device device, IReadOnlyList<Parameter> parameters)
    {
        var resolved = asked == TrainingPrecision.Auto
            ? (device.IsCuda ? CudaDefault : TrainingPrecision.Float32)
            : asked;
        if (resolved == TrainingPrecision.BFloat16 && parameters.Any(p => p.DType != ScalarType.BFloat16))
            throw new ArgumentException("TrainerOptions.Precision is BFloat16 (pure bfloat16) but some trainable parameters are not bfloat16. Hint: create or load the model in bfloat16 (TinyGpt: model.To(ScalarType.BFloat16); --precision bf16 on the CLI), or use BFloat16Masters (bfloat16 compute, float32 master weights kept by the engine) or BFloat16Autocast (float32 weights).", nameof(parameters));
        return resolved;
    }

    /// <summary>Sums the gradients over the ranks (bucketed) and combines the step's statistics on the device: sums of
    /// loss shares, hits and positions, the maximum of the row losses.</summary>
    private (Tensor Sums, Tensor MaxRow, long Positions) ReduceAcrossRanks(ProcessGroup group, Tensor sums, Tensor maxRow, long positions)
    {
        var gradients = _stepped.Select(p => p.Grad).OfType<Tensor>().ToList();
        if (gradients.Count != _stepped.Count)
            throw new InvalidOperationException($"{_stepped.Count - gradients.Count} trainable parameter(s) received no gradient in this step; data-parallel training needs a gradient for every parameter on every rank (the all-reduce pairs them by position). Hint: freeze unused parameters (RequiresGrad = false) or leave them out of the engine's parameters.");
        group.AllReduce(gradients, ReduceOp.Sum);
        var positionsTensor = TorchOps.Full([1], positions, ScalarType.Float64, group.Device);                // (1)
        var all = TorchOps.Cat([sums.To(group.Device), positionsTensor], 0);                             // (3)
        var max = maxRow.To(group.Device).Unsqueeze(0);                                                  // (1)
        group.AllReduce(all, ReduceOp.Sum);
        group.AllReduce(max, ReduceOp.Max);
        var counts = all.Narrow(0, 2, 1).To(Device.Cpu).ToArray<double>();                             // the global position count (a host read of DP steps)
        return (all.Narrow(0, 0, 2), max.Squeeze(0), (long)counts[0]);
    }

    /// <summary>Sets the completed-step count after the optimizer's state was loaded from a checkpoint, so the next step
    /// uses the schedule's rate for it.</summary>
    /// <param name="completedSteps">The checkpoint's step.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="completedSteps"/> is negative.</exception>
    public void Restore(long completedSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(completedSteps);
        Step = completedSteps;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Optimizer.Dispose();
        _masters?.Dispose();
    }

    /// <summary>The scope <see cref="UseMasterWeights"/> returns without master weights.</summary>
    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}
