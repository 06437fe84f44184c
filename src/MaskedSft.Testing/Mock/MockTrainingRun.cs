// The mock training harness: the product's TrainingEngine on a mock model, hard-example tracking, checkpoint save/reload/verify.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// Trains a <see cref="MockLossModel"/> on <see cref="MockEpisodeSource"/> batches through the product's
/// <see cref="TrainingEngine{TBatch}"/> (<see cref="MockObjective"/>: AdamW on the warmup + cosine schedule, clipping,
/// accumulation), tracks hard examples from the training loss's own per-sample losses, prints metric lines and
/// hard-example listings, then saves a checkpoint, reloads it into a freshly initialized model, engine and tracker, and
/// verifies that every tensor and the tracker are identical and that the next step gives the same loss and parameters from
/// either. Everything is real except the model and data.
/// <para>Settings are <see cref="TrainerOptions"/> with their defaults (those of <c>maskedsft train</c> and
/// <c>maskedsft mock-train</c>); the run reads MaxSteps, BatchSize, GradientAccumulationSteps, the learning-rate schedule,
/// AdamW, GradientClip, Seed (data and model), LogInterval, HardExamples (capacity and snapshot interval; null turns
/// tracking off) and OutputDirectory (where the checkpoint goes; null = <see cref="DefaultCheckpointDirectory"/>). Steps
/// are printed and tracked 0-based.</para>
/// </summary>
public sealed class MockTrainingRun
{
    /// <summary>Hard examples listed at each snapshot.</summary>
    public const int HardExamplesShown = 10;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly TrainerOptions _options;
    private readonly string _checkpointDir;
    private readonly TextWriter _out;
    private readonly MockTokenizer _tokenizer = new();
    private readonly MockEpisodeSource _source;

    /// <summary>Creates the run.</summary>
    /// <param name="options">Options (see the class remarks for the ones the mock run reads).</param>
    /// <param name="output">Where progress lines go.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an option is out of range.</exception>
    public MockTrainingRun(TrainerOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        _options = options;
        _checkpointDir = options.OutputDirectory ?? DefaultCheckpointDirectory;
        _out = output;
        _source = new MockEpisodeSource(new MockEpisodeSourceOptions { BatchSize = options.BatchSize, Seed = options.Seed }, _tokenizer);
    }

    /// <summary>Where checkpoints go when <see cref="TrainerOptions.OutputDirectory"/> is null: <c>{temp}/maskedsft_mock_training_checkpoints</c>.</summary>
    public static string DefaultCheckpointDirectory => Path.Combine(Path.GetTempPath(), "maskedsft_mock_training_checkpoints");

    /// <summary>The metrics of one step and its samples' losses.</summary>
    private readonly record struct MockStep(StepMetrics Metrics, float[] PerSampleLoss);

    /// <summary>Runs training, the checkpoint round trip and the checks.</summary>
    /// <returns>The result; <see cref="MockTrainingResult.Success"/> is false on any failure.</returns>
    public MockTrainingResult Run()
    {
        var o = _options;
        var steps = o.MaxSteps;
        var rule = new string('=', 80);
        _out.WriteLine(rule);
        _out.WriteLine("MOCK TRAINING TEST");
        _out.WriteLine(rule);
        _out.WriteLine("Configuration:");
        _out.WriteLine($"  Steps: {steps}");
        _out.WriteLine($"  Batch size: {o.BatchSize}{(o.GradientAccumulationSteps > 1 ? $" x {o.GradientAccumulationSteps} micro-batches" : string.Empty)}");
        _out.WriteLine(string.Create(Invariant, $"  Learning rate: {o.LearningRate} (warmup {o.WarmupSteps} steps, cosine to {o.FinalLearningRate})"));
        _out.WriteLine($"  Log interval: {o.LogInterval}");
        _out.WriteLine($"  Track hard examples: {o.HardExamples is not null}");
        _out.WriteLine($"  Checkpoint dir: {_checkpointDir}");
        _out.WriteLine($"  Seed: {o.Seed}");
        _out.WriteLine(rule);
        _out.WriteLine("Initializing mock model and training state...");
        var losses = new List<double>();
        var payloads = new List<HardExamplePayload>();
        using var model = new MockLossModel(_source.Options, o.Seed);
        using var engine = new TrainingEngine<MockEpisodeBatch>(model.NamedParameters(), new MockObjective(model), o, steps);
        _out.WriteLine(string.Create(Invariant, $"  {model.Parameters().Sum(p => p.NumberOfElements):N0} parameters in {model.NamedParameters().Count()} tensors, AdamW lr={o.LearningRate}"));
        HardExampleTracker? tracker = null;
        if (o.HardExamples is { } hardExamples)
        {
            _out.WriteLine("Initializing hard example tracker...");
            tracker = new HardExampleTracker(hardExamples);
        }

        // With TensorBoard on (the default), the checkpoint folder also gets a run's logs: metrics.jsonl, hard_examples.jsonl
        // and tensorboard/ (scalars, snapshot texts and the thumbnails of the mock images).
        // A folder that cannot be made is reported where the checkpoint is saved (below); the logs are then skipped.
        MetricsWriter? metricsLog = null;
        TrainingEventLog? events = null;
        var snapshotLog = Path.Combine(_checkpointDir, "hard_examples.jsonl");
        if (o.TensorBoard)
        {
            try
            {
                Directory.CreateDirectory(_checkpointDir);
                File.WriteAllText(snapshotLog, string.Empty);
                metricsLog = new MetricsWriter(Path.Combine(_checkpointDir, "metrics.jsonl"));
                events = new TrainingEventLog(_checkpointDir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _out.WriteLine($"  run logs skipped: {ex.Message}");
                metricsLog?.Dispose();
                metricsLog = null;
            }
        }

        using var metricsScope = metricsLog;
        using var eventsScope = events;
        _out.WriteLine("Starting training loop...");
        for (int step = 0; step < steps; step++)
        {
            var m = TrainStep(engine, tracker, step).Metrics;
            losses.Add(m.Loss);
            if (!double.IsFinite(m.Loss) || !double.IsFinite(m.GradNorm))
            {
                return Fail($"step {step}: non-finite loss {m.Loss} or gradient norm {m.GradNorm}", losses, payloads);
            }

            if (step % o.LogInterval == 0 || step == steps - 1)
            {
                metricsLog?.Write(m);
                events?.Write(m);
                _out.WriteLine(string.Create(Invariant,
                    $"Step {step,4}: loss={m.Loss:F4}, grad_norm={m.GradNorm:F4}, param_norm={m.ParamNorm:F4}, token_acc={m.TokenAccuracy:F4}, max_per_sample_loss={m.MaxPerSampleLoss:F4}"));
            }

            if (tracker is not null && step > 0 && (tracker.IsLogStep(step) || step == steps - 1))
            {
                var payload = tracker.Snapshot(step);
                payloads.Add(payload);
                PrintHardExamples(payload);
                events?.Write(payload);
                if (events is not null) File.AppendAllText(snapshotLog, HardExampleJson.Serialize(payload) + "\n");
                var problem = CheckTracker(tracker);
                if (problem is not null)
                {
                    return Fail($"step {step}: {problem}", losses, payloads);
                }
            }
        }

        _out.WriteLine(rule);
        string path;
        try
        {
            path = MockCheckpoint.Save(_checkpointDir, steps, o.Seed, model, engine.Optimizer, tracker);
            _out.WriteLine($"Saved checkpoint: {path}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail($"could not save the checkpoint under '{_checkpointDir}': {ex.Message}", losses, payloads);
        }

        var verification = VerifyReload(path, model, engine, tracker);
        if (verification is not null)
        {
            return Fail($"checkpoint reload: {verification}", losses, payloads) with { CheckpointPath = path };
        }

        _out.WriteLine(rule);
        _out.WriteLine("Training complete!");
        _out.WriteLine(rule);
        return new MockTrainingResult { Success = true, Losses = losses, HardExamplePayloads = payloads, CheckpointPath = path, CheckpointVerified = true };
    }

    /// <summary>The tracker's invariants: size within capacity, sorted by loss, keys match entries.</summary>
    internal static string? CheckTracker(HardExampleTracker tracker)
    {
        if (tracker.Count > tracker.Options.Capacity)
        {
            return $"hard-example buffer has {tracker.Count} entries for a capacity of {tracker.Options.Capacity}";
        }

        for (int i = 1; i < tracker.Count; i++)
        {
            if (tracker.Entries[i].Loss > tracker.Entries[i - 1].Loss)
            {
                return $"hard-example buffer is not sorted by loss at position {i}";
            }
        }

        if (tracker.Keys.Count != tracker.Count || !tracker.Entries.All(e => tracker.Keys.Contains(e.Key)))
        {
            return "hard-example keys do not match the buffer entries";
        }

        return null;
    }

    /// <summary>One engine step over the micro-batches of 0-based step <paramref name="step"/>, feeding the tracker.</summary>
    private MockStep TrainStep(TrainingEngine<MockEpisodeBatch> engine, HardExampleTracker? tracker, long step)
    {
        var perSample = new List<float>();
        void Observe(long completedStep, MockEpisodeBatch batch, MicroBatchLoss output)
        {
            var rows = output.RowLoss.ToArray<float>();
            perSample.AddRange(rows);
            if (tracker is null) return;
            tracker.UpdateLosses(step, rows);
            tracker.AddExamples(step, new MockHardExampleBatch(batch, _tokenizer), rows, batch.Keys);
        }

        var k = _options.GradientAccumulationSteps;
        var window = Enumerable.Range(0, k).Select(i => _source.GetBatch((step * k) + i)).ToArray();
        engine.MicroBatchComputed += Observe;
        try
        {
            return new MockStep(engine.RunStep(window), perSample.ToArray());
        }
        finally
        {
            engine.MicroBatchComputed -= Observe;
        }
    }

    private void PrintHardExamples(HardExamplePayload payload)
    {
        _out.WriteLine(string.Create(Invariant,
            $"  Hard examples: {payload.Entries.Count} entries, threshold={payload.Threshold:F4}, total_samples={payload.TotalSamplesSeen}"));
        int rank = 1;
        foreach (var e in payload.Entries.Take(HardExamplesShown))
        {
            _out.WriteLine(string.Create(Invariant, $"    #{rank++}: loss={e.Loss:F4}, step={e.Step}, lang_action={e.Text} (len={e.Text.Length})"));
        }
    }

    private string? VerifyReload(string path, MockLossModel model, TrainingEngine<MockEpisodeBatch> engine, HardExampleTracker? tracker)
    {
        _out.WriteLine("Reloading checkpoint into a fresh model, optimizer and tracker...");
        using var reloaded = new MockLossModel(_source.Options, _options.Seed + 1); // different init: loading must overwrite it
        using var reloadedEngine = new TrainingEngine<MockEpisodeBatch>(reloaded.NamedParameters(), new MockObjective(reloaded), _options, engine.MaxSteps);
        MockCheckpoint.TrainerState state;
        try
        {
            state = MockCheckpoint.Load(path, reloaded, reloadedEngine.Optimizer);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException or TorchException)
        {
            return ex.Message;
        }

        if (state.Step != _options.MaxSteps)
        {
            return $"step {state.Step} in the checkpoint, expected {_options.MaxSteps}";
        }

        reloadedEngine.Restore(state.Step);
        var differing = DifferentTensors(model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)), reloaded.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)));
        if (differing is not null)
        {
            return $"parameters differ after reload: {differing}";
        }

        _out.WriteLine($"  parameters: {model.NamedParameters().Count()} tensors identical");
        var a = engine.Optimizer.GetState();
        var b = reloadedEngine.Optimizer.GetState();
        try
        {
            differing = a.Count != b.Count ? $"{a.Count} vs {b.Count} entries" : DifferentTensors(a.Select(kv => (kv.Key, kv.Value)), b.Select(kv => (kv.Key, kv.Value)));
            if (differing is not null)
            {
                return $"optimizer state differs after reload: {differing}";
            }

            _out.WriteLine($"  optimizer state: {a.Count} tensors identical");
        }
        finally
        {
            foreach (var t in a.Values.Concat(b.Values))
            {
                t.Dispose();
            }
        }

        HardExampleTracker? reloadedTracker = null;
        if (tracker is not null)
        {
            if (state.HardExamples is null)
            {
                return "the checkpoint has no hard-example tracker state";
            }

            reloadedTracker = HardExampleTracker.Restore(state.HardExamples);
            if (JsonSerializer.Serialize(tracker.SaveState(), HardExampleJson.Options) != JsonSerializer.Serialize(reloadedTracker.SaveState(), HardExampleJson.Options))
            {
                return "the hard-example tracker differs after reload";
            }

            _out.WriteLine($"  hard-example tracker: {reloadedTracker.Count} entries identical");
        }

        long next = _options.MaxSteps;
        var original = TrainStep(engine, tracker, next);
        var resumed = TrainStep(reloadedEngine, reloadedTracker, next);
        if (BitConverter.DoubleToInt64Bits(original.Metrics.Loss) != BitConverter.DoubleToInt64Bits(resumed.Metrics.Loss) || !original.PerSampleLoss.AsSpan().SequenceEqual(resumed.PerSampleLoss))
        {
            return string.Create(Invariant, $"the step after the checkpoint gives loss {resumed.Metrics.Loss:R} resumed vs {original.Metrics.Loss:R} straight");
        }

        differing = DifferentTensors(model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)), reloaded.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)));
        if (differing is not null)
        {
            return $"parameters differ after the resumed step: {differing}";
        }

        _out.WriteLine(string.Create(Invariant, $"  resumed step {next}: loss={resumed.Metrics.Loss:F6} equals the straight run's; parameters after the step identical"));
        _out.WriteLine("Checkpoint reload verified.");
        return null;
    }

    /// <summary>The name of the first tensor pair whose bytes differ, or null when all are identical.</summary>
    private static string? DifferentTensors(IEnumerable<(string Name, Tensor Tensor)> left, IEnumerable<(string Name, Tensor Tensor)> right)
    {
        var r = right.ToDictionary(x => x.Name, x => x.Tensor, StringComparer.Ordinal);
        foreach (var (name, tensor) in left)
        {
            if (!r.TryGetValue(name, out var other))
            {
                return $"'{name}' is missing";
            }

            if (tensor.DType != other.DType || !tensor.Shape.AsSpan().SequenceEqual(other.Shape) || !Bytes(tensor).AsSpan().SequenceEqual(Bytes(other)))
            {
                return $"'{name}'";
            }
        }

        return null;
    }

    private static byte[] Bytes(Tensor t)
    {
        var bytes = new byte[t.NumberOfElements * t.DType.ElementSize()];
        t.CopyToBytes(bytes);
        return bytes;
    }

    private MockTrainingResult Fail(string reason, List<double> losses, List<HardExamplePayload> payloads)
    {
        _out.WriteLine($"FAILED: {reason}");
        return new MockTrainingResult { Success = false, FailureReason = reason, Losses = losses, HardExamplePayloads = payloads };
    }
}
