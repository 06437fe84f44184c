// Trains a causal LM on batches from an Atropos server through the one TrainingEngine: register, poll, train, checkpoint, resume.
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using MaskedSft.MLNet.IO;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Rl.Atropos;

/// <summary>
/// The trainer side of the Atropos protocol. <see cref="RunAsync"/> registers once (POST /register with batch_size, max_token_len,
/// starting_step = the completed steps, num_steps, checkpoint settings), then per step: GET /batch until a batch comes
/// (<see cref="AtroposClient.WaitForBatchAsync"/>: empty answers polled with backoff, transient failures retried), spools it
/// to disk (<see cref="AtroposBatchSpool"/>), turns it into <see cref="RlBatch"/> micro-batches
/// (<see cref="AtroposBatchProcessor"/>) and runs one optimizer step of the <see cref="TrainingEngine{TBatch}"/> with the
/// objective (advantage-weighted SFT, or e.g. GRPO through <see cref="AtroposTrainerOptions.Objective"/>); writes
/// RUN/metrics.jsonl (the engine's fields and the batch's diagnostics), RUN/atropos/consumed.jsonl (each step's groups,
/// their ids and digest) and checkpoints.
/// <para>Exactly once: a batch is spooled before it is trained and a checkpoint records the steps trained and a chained
/// digest of their batches, so a trainer restarted from its last checkpoint trains the spooled batches after it first (no
/// batch lost), and never asks the server for a batch it already holds (none trained twice). A server that restarted
/// without its state answers GET /batch with "not registered": the trainer registers again (starting_step = its step) and
/// goes on. Resume is exact on the CPU: weights (or adapters), AdamW moments, schedule step, RNG state and the batch
/// sequence are restored.</para>
/// </summary>
public sealed class AtroposTrainer : IDisposable
{
    private readonly AtroposClient _client;
    private readonly AtroposBatchProcessor _processor;
    private readonly TrainingEngine<RlBatch> _engine;
    private readonly TextWriter? _log;
    private readonly AtroposBatchSpool? _spool;
    private CheckpointStore? _store;
    private MetricsWriter? _metrics;
    private StepJsonLinesFile? _consumed;
    private BigInteger? _uuid;
    private byte[] _digest = new byte[32];
    private long _sequences;
    private bool _disposed;

    /// <summary>Creates a trainer at step 0.</summary>
    /// <param name="model">The model (or LoRA model) to train; its trainable parameters go to the optimizer. With
    /// <see cref="TrainingPrecision.BFloat16Masters"/> it is cast to bfloat16 once the engine copied the float32 masters
    /// (checkpoints hold the masters).</param>
    /// <param name="client">A client of the Atropos server.</param>
    /// <param name="options">The options.</param>
    /// <param name="log">Progress lines; null prints nothing.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">The options do not fit together or the model.</exception>
    public AtroposTrainer(ICausalLm model, AtroposClient client, AtroposTrainerOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.MaxTokenLength > model.MaxSequenceLength + 1)
            throw new ArgumentException($"--max-token-len {options.MaxTokenLength} exceeds what the model can read ({model.MaxSequenceLength} positions + 1).", nameof(options));
        var training = options.Training;
        if (training.IntraOpThreads is { } threads) TorchOps.SetNumThreads(threads);
        if (training.Device is { } device && model.Device != device) model.To(device);
        Model = model;
        Options = options;
        _client = client;
        _log = log;
        _processor = new AtroposBatchProcessor(options.Processor with
        {
            MaxLength = options.Processor.MaxLength ?? options.MaxTokenLength,
            VocabSize = options.Processor.VocabSize ?? model.VocabSize,
        });
        var objective = options.Objective?.Invoke(model) ?? new RlWeightedSftObjective(model, training.Loss, training.ProcessGroup);
        _engine = new TrainingEngine<RlBatch>(model.NamedParameters(), objective, training, training.MaxSteps);
        if (_engine.Precision == TrainingPrecision.BFloat16Masters) model.To(model.Device, ScalarType.BFloat16); // after the engine copied its float32 masters
        if (training.OutputDirectory is { } run) _spool = new AtroposBatchSpool(Path.Combine(run, "atropos", "batches"));
        using (var g = Generator.GetDefault()) g.ManualSeed(training.Seed);
    }

    /// <summary>Raised after every step.</summary>
    public event Action<AtroposStepRecord>? StepCompleted;

    /// <summary>The model trained.</summary>
    public ICausalLm Model { get; }

    /// <summary>The options.</summary>
    public AtroposTrainerOptions Options { get; }

    /// <summary>Completed steps (= batches trained).</summary>
    public long Step => _engine.Step;

    /// <summary>The planned steps.</summary>
    public long MaxSteps => _engine.MaxSteps;

    /// <summary>The uuid of this trainer's registration, or null before it registered.</summary>
    public BigInteger? Uuid => _uuid;

    /// <summary>How often the server had to be told again who we are (it restarted without its state).</summary>
    public int Reregistrations { get; private set; }

    /// <summary>The chained digest of every batch trained so far (hex).</summary>
    public string ConsumedDigest => Convert.ToHexStringLower(_digest);

    /// <summary>Trains until <paramref name="untilStep"/> (default: <see cref="MaxSteps"/>) or cancellation; writes a checkpoint at
    /// every <see cref="TrainerOptions.CheckpointInterval"/> and at the end (when there is an output directory).</summary>
    /// <param name="untilStep">The step to stop at (at most <see cref="MaxSteps"/>); null = all.</param>
    /// <param name="cancellationToken">Stops between steps or while waiting for a batch; a checkpoint of the last step is written.</param>
    /// <returns>The steps run.</returns>
    /// <exception cref="AtroposException">The server failed for good.</exception>
    /// <exception cref="InvalidDataException">A batch is malformed (the message names the group and field).</exception>
    public async Task<IReadOnlyList<AtroposStepRecord>> RunAsync(long? untilStep = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var stop = Math.Min(untilStep ?? MaxSteps, MaxSteps);
        EnsureOutput();
        var records = new List<AtroposStepRecord>();
        long lastCheckpoint = -1;
        Model.Train();
        try
        {
            if (Step < stop && _uuid is null) await RegisterAsync(cancellationToken).ConfigureAwait(false);
            while (Step < stop)
            {
                var step = Step + 1;
                var (groups, polled, replayed) = await NextBatchAsync(step, cancellationToken).ConfigureAwait(false);
                var record = TrainStep(step, groups, polled, replayed);
                records.Add(record);
                StepCompleted?.Invoke(record);
                if (Options.Training.OutputDirectory is not null && (Step == MaxSteps || (Options.Training.CheckpointInterval > 0 && Step % Options.Training.CheckpointInterval == 0)))
                {
                    await SaveCheckpointAsync(cancellationToken).ConfigureAwait(false);
                    lastCheckpoint = Step;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _log?.WriteLine($"cancelled at step {Step}");
        }

        if (_store is not null && lastCheckpoint != Step && records.Count > 0) await SaveCheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        return records;
    }

    /// <summary>Writes a checkpoint of the current step (model or adapter, optimizer, <see cref="AtroposRunState"/>).</summary>
    /// <param name="cancellationToken">Cancels the status request.</param>
    /// <returns>The checkpoint folder.</returns>
    /// <exception cref="InvalidOperationException">There is no output directory.</exception>
    public async Task<string> SaveCheckpointAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureOutput();
        if (_store is null) throw new InvalidOperationException("checkpoints need TrainerOptions.OutputDirectory.");
        AtroposStatus? status = null;
        try
        {
            status = await _client.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AtroposException e)
        {
            _log?.WriteLine($"note: the server's step counter could not be read for the checkpoint ({e.Message})");
        }

        var folder = _store.Save(Step, dir =>
        {
            using (_engine.UseMasterWeights()) Model.Save(dir); // BFloat16Masters: the float32 masters
            CheckpointFiles.SaveOptimizer(dir, _engine.Optimizer);

            byte[] rng;
            using (var g = Generator.GetDefault()) rng = g.GetState();
            var run = new AtroposRunState
            {
                Step = Step,
                MaxSteps = MaxSteps,
                Objective = Options.ObjectiveName,
                Architecture = Model.Architecture,
                Uuid = _uuid?.ToString(CultureInfo.InvariantCulture),
                ServerStep = status?.CurrentStep,
                ServerQueueSize = status?.QueueSize,
                BatchesConsumed = Step,
                SequencesConsumed = _sequences,
                ConsumedDigest = ConsumedDigest,
                CpuRngState = Convert.ToBase64String(rng),
            };
            File.WriteAllText(Path.Combine(dir, AtroposRunState.FileName), run.ToJson());
        });
        if (!Options.KeepTrainedBatches) _spool?.DeleteUpTo(Step);
        return folder;
    }

    /// <summary>Restores a checkpoint: weights (or adapters), optimizer, schedule step, RNG state and the consumed digest;
    /// metrics.jsonl and consumed.jsonl keep only the lines up to its step. Batches spooled after it are trained next.</summary>
    /// <param name="path">A checkpoint folder, a run's checkpoints/ folder or the run folder (its newest checkpoint).</param>
    /// <returns>The checkpoint's state.</returns>
    /// <exception cref="InvalidDataException">No checkpoint there, or it does not fit this trainer's model or objective.</exception>
    public AtroposRunState LoadCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var folder = ResolveCheckpoint(path);
        var state = AtroposRunState.Read(folder);
        if (state.Architecture != Model.Architecture)
            throw new InvalidDataException($"{folder}: the checkpoint is for a {state.Architecture} model, this trainer's is {Model.Architecture}.");
        if (state.Objective != Options.ObjectiveName)
            throw new InvalidDataException($"{folder}: the checkpoint trained the {state.Objective} objective, this run asks for {Options.ObjectiveName}. Hint: resume with --objective {state.Objective}.");
        using (_engine.UseMasterWeights()) Model.LoadSavedWeights(folder); // BFloat16Masters: into the masters
        CheckpointFiles.LoadOptimizer(folder, _engine.Optimizer, Model.Device);

        using (var g = Generator.GetDefault()) g.SetState(Convert.FromBase64String(state.CpuRngState));
        _engine.Restore(state.Step);
        _digest = Convert.FromHexString(state.ConsumedDigest);
        _sequences = state.SequencesConsumed;
        _uuid = null; // register again: starting_step = the checkpoint's step
        OpenLogs(keepUpToStep: state.Step);
        return state;
    }

    /// <summary>The newest checkpoint under a run folder or checkpoints/ folder, or the folder itself when it is one.</summary>
    /// <param name="path">The path.</param>
    /// <returns>The checkpoint folder.</returns>
    /// <exception cref="InvalidDataException">None was found.</exception>
    public static string ResolveCheckpoint(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointFiles.Resolve(path, AtroposRunState.FileName)
            ?? throw new InvalidDataException($"{path}: no Atropos checkpoint found (expected {AtroposRunState.FileName}, or step-NNNNNNNN folders under it or under its checkpoints/).");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _engine.Dispose();
        _metrics?.Dispose();
        _consumed?.Dispose();
    }

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var training = Options.Training;
        _uuid = await _client.RegisterAsync(new AtroposRegistration
        {
            WandbGroup = Options.WandbGroup,
            WandbProject = Options.WandbProject,
            BatchSize = training.BatchSize,
            MaxTokenLength = Options.MaxTokenLength,
            CheckpointDirectory = training.OutputDirectory is { } run ? Path.GetFullPath(Path.Combine(run, "checkpoints")) : "",
            SaveCheckpointInterval = training.CheckpointInterval,
            StartingStep = checked((int)Step),
            NumSteps = checked((int)MaxSteps),
        }, cancellationToken).ConfigureAwait(false);
        _log?.WriteLine($"registered with {_client.BaseAddress} (uuid {_uuid}) at step {Step}");
    }

    /// <summary>The batch of a step: the spooled one when the step was received before a restart, else from the server
    /// (spooled before it is returned).</summary>
    private async Task<(IReadOnlyList<AtroposScoredData> Groups, AtroposPolledBatch? Polled, bool Replayed)> NextBatchAsync(long step, CancellationToken cancellationToken)
    {
        if (_spool?.TryRead(step) is { } spooled)
        {
            _log?.WriteLine($"step {step}: training the batch received before the restart ({_spool.PathOf(step)})");
            return (spooled, null, true);
        }

        AtroposPolledBatch polled;
        while (true)
        {
            try
            {
                polled = await _client.WaitForBatchAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (AtroposException e) when (e.NotRegistered)
            {
                Reregistrations++;
                _log?.WriteLine($"the server does not know this trainer (it restarted without its state); registering again at step {Step}");
                await RegisterAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        _spool?.Write(step, polled.Groups);
        return (polled.Groups, polled, false);
    }

    private AtroposStepRecord TrainStep(long step, IReadOnlyList<AtroposScoredData> groups, AtroposPolledBatch? polled, bool replayed)
    {
        var sequences = groups.Sum(g => g.Tokens?.Length ?? 0);
        if (sequences != Options.Training.BatchSize)
            throw new InvalidDataException($"step {step}: the server sent {sequences} sequences in {groups.Count} groups, the registered batch_size is {Options.Training.BatchSize}. Hint: another trainer registered this server first with another batch size; restart the server or use its batch size.");
        var micro = _processor.Process(groups, Options.Training.BatchSize / Options.Training.GradientAccumulationSteps);
        foreach (var b in micro) b.Validate();
        var metrics = _engine.RunStep(micro);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(groups, AtroposJson.Options);
        var batchDigest = SHA256.HashData(bytes);
        _digest = SHA256.HashData([.. _digest, .. batchDigest]);
        _sequences += sequences;
        var ids = groups.Select(AtroposGroupIds.Of).OfType<string>().ToList();
        var diagnostics = RlBatchDiagnostics.Of(micro);
        var policy = (_engine.Objective as GrpoObjective)?.LastStep;
        var record = new AtroposStepRecord(metrics, diagnostics, policy, groups.Count, polled?.EmptyPolls ?? 0, polled?.Waited ?? TimeSpan.Zero,
            ids, Convert.ToHexStringLower(batchDigest), replayed);
        _metrics?.Write(metrics, json =>
        {
            RlMetrics.Write(json, diagnostics, policy);
            json.WriteNumber("groups", record.Groups);
            json.WriteNumber("sequences", sequences);
            json.WriteNumber("empty_polls", record.EmptyPolls);
            json.WriteNumber("wait_s", record.Waited.TotalSeconds);
            json.WriteNumber("client_retries", _client.Retries);
            json.WriteBoolean("replayed", replayed);
        });
        WriteConsumed(step, groups.Count, sequences, record.Digest, ids, replayed);
        _log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {step}/{MaxSteps}: loss {metrics.Loss:F4}, grad norm {metrics.GradNorm:F3}, reward {diagnostics.RewardMean:F3}, {groups.Count} groups / {sequences} seqs{(polled is { EmptyPolls: > 0 } p ? $", waited {p.Waited.TotalSeconds:F1} s ({p.EmptyPolls} empty polls)" : string.Empty)}{(replayed ? ", replayed" : string.Empty)}"));
        return record;
    }

    private void WriteConsumed(long step, int groups, int sequences, string digest, IReadOnlyList<string> ids, bool replayed)
    {
        if (_consumed is null) return;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteNumber("groups", groups);
            json.WriteNumber("sequences", sequences);
            json.WriteString("sha256", digest);
            json.WriteBoolean("replayed", replayed);
            json.WriteStartArray("group_ids");
            foreach (var id in ids) json.WriteStringValue(id);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        _consumed.WriteLine(buffer.WrittenSpan);
    }

    private void EnsureOutput()
    {
        if (Options.Training.OutputDirectory is not { } run || _store is not null) return;
        Directory.CreateDirectory(run);
        _store = new CheckpointStore(Path.Combine(run, "checkpoints"), Options.Training.KeepCheckpoints);
        if (_metrics is null) OpenLogs(Step > 0 ? Step : null);
    }

    private void OpenLogs(long? keepUpToStep)
    {
        if (Options.Training.OutputDirectory is not { } run) return;
        _metrics?.Dispose();
        _consumed?.Dispose();
        _metrics = new MetricsWriter(Path.Combine(run, "metrics.jsonl"), keepUpToStep);
        _consumed = new StepJsonLinesFile(Path.Combine(run, "atropos", "consumed.jsonl"), keepUpToStep);
    }
}
