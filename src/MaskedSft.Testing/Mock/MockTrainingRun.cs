// The mock training harness: real model, AdamW, gradient clipping, hard-example tracking and checkpoint save/reload/verify.
using System.Globalization;
using System.Text.Json;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// Trains a <see cref="MockLossModel"/> on <see cref="MockEpisodeSource"/> batches with AdamW, tracks hard examples from the
/// training loss's own per-sample losses, prints metric lines and hard-example listings, then saves a checkpoint, reloads it
/// into a freshly initialized model, optimizer and tracker, and verifies that every tensor and the tracker are identical and
/// that the next step gives the same loss and parameters from either. Everything is real except the model and data.
/// </summary>
public sealed class MockTrainingRun
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly MockTrainingOptions _options;
    private readonly TextWriter _out;
    private readonly MockTokenizer _tokenizer = new();
    private readonly MockEpisodeSource _source;

    /// <summary>Creates the run.</summary>
    /// <param name="options">Options.</param>
    /// <param name="output">Where progress lines go.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an option is out of range.</exception>
    public MockTrainingRun(MockTrainingOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        _options = options;
        _out = output;
        _source = new MockEpisodeSource(new MockEpisodeSourceOptions { BatchSize = options.BatchSize, Seed = options.Seed }, _tokenizer);
    }

    /// <summary>The metrics of one step.</summary>
    private readonly record struct StepMetrics(double Loss, double GradNorm, double TokenAccuracy, float[] PerSampleLoss);

    /// <summary>Runs training, the checkpoint round trip and the checks.</summary>
    /// <returns>The result; <see cref="MockTrainingResult.Success"/> is false on any failure.</returns>
    public MockTrainingResult Run()
    {
        var o = _options;
        var rule = new string('=', 80);
        _out.WriteLine(rule);
        _out.WriteLine("MOCK TRAINING TEST");
        _out.WriteLine(rule);
        _out.WriteLine("Configuration:");
        _out.WriteLine($"  Steps: {o.NumTrainSteps}");
        _out.WriteLine($"  Batch size: {o.BatchSize}");
        _out.WriteLine($"  Log interval: {o.LogInterval}");
        _out.WriteLine($"  Track hard examples: {o.TrackHardExamples}");
        _out.WriteLine($"  Checkpoint dir: {o.CheckpointDir}");
        _out.WriteLine($"  Seed: {o.Seed}");
        _out.WriteLine(rule);
        _out.WriteLine("Initializing mock model and training state...");
        var losses = new List<double>();
        var payloads = new List<HardExamplePayload>();
        using var model = new MockLossModel(_source.Options, o.Seed);
        using var optimizer = new AdamW(model.NamedParameters(), o.LearningRate);
        _out.WriteLine($"  {model.Parameters().Sum(p => p.NumberOfElements):N0} parameters in {model.NamedParameters().Count()} tensors, AdamW lr={o.LearningRate.ToString(Invariant)}");
        HardExampleTracker? tracker = null;
        if (o.TrackHardExamples)
        {
            _out.WriteLine("Initializing hard example tracker...");
            tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = o.MaxHardExamplesBuffer, LogInterval = o.HardExampleLogInterval });
        }

        _out.WriteLine("Starting training loop...");
        for (int step = 0; step < o.NumTrainSteps; step++)
        {
            var m = TrainStep(model, optimizer, tracker, step);
            losses.Add(m.Loss);
            if (!double.IsFinite(m.Loss) || !double.IsFinite(m.GradNorm))
            {
                return Fail($"step {step}: non-finite loss {m.Loss} or gradient norm {m.GradNorm}", losses, payloads);
            }

            if (step % o.LogInterval == 0 || step == o.NumTrainSteps - 1)
            {
                _out.WriteLine(string.Create(Invariant,
                    $"Step {step,4}: loss={m.Loss:F4}, grad_norm={m.GradNorm:F4}, param_norm={ParameterNorm(model):F4}, token_acc={m.TokenAccuracy:F4}, max_per_sample_loss={m.PerSampleLoss.Max():F4}"));
            }

            if (tracker is not null && step > 0 && (tracker.IsLogStep(step) || step == o.NumTrainSteps - 1))
            {
                var payload = tracker.Snapshot(step);
                payloads.Add(payload);
                PrintHardExamples(payload);
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
            path = MockCheckpoint.Save(o.CheckpointDir, o.NumTrainSteps, o.Seed, model, optimizer, tracker);
            _out.WriteLine($"Saved checkpoint: {path}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail($"could not save the checkpoint under '{o.CheckpointDir}': {ex.Message}", losses, payloads);
        }

        var verification = VerifyReload(path, model, optimizer, tracker);
        if (verification is not null)
        {
            return Fail($"checkpoint reload: {verification}", losses, payloads) with { CheckpointPath = path };
        }

        _out.WriteLine(rule);
        _out.WriteLine("Training complete!");
        _out.WriteLine(rule);
        return new MockTrainingResult { Success = true, Losses = losses, HardExamplePayloads = payloads, CheckpointPath = path, CheckpointVerified = true };
    }

    private StepMetrics TrainStep(MockLossModel model, AdamW optimizer, HardExampleTracker? tracker, long step)
    {
        var batch = _source.GetBatch(step);
        using var scope = new DisposeScope();
        using var tensors = MockEpisodeTensors.From(batch);
        var output = model.Forward(tensors);
        optimizer.ZeroGrad();
        output.Loss.Backward();
        double gradNorm = TorchOps.ClipGradNorm(model.Parameters(), _options.MaxGradNorm);
        optimizer.Step();
        var perSample = output.PerSampleLoss.Detach().ToArray<float>();
        if (tracker is not null)
        {
            tracker.UpdateLosses(step, perSample);
            tracker.AddExamples(step, new MockHardExampleBatch(batch, _tokenizer), perSample, batch.Keys);
        }

        return new StepMetrics(output.Loss.Item<float>(), gradNorm, output.TokenAccuracy.Item<float>(), perSample);
    }

    private static double ParameterNorm(MockLossModel model)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        double sum = 0;
        foreach (var p in model.Parameters())
        {
            double n = p.Norm().Item<float>();
            sum += n * n;
        }

        return Math.Sqrt(sum);
    }

    private void PrintHardExamples(HardExamplePayload payload)
    {
        _out.WriteLine(string.Create(Invariant,
            $"  Hard examples: {payload.Entries.Count} entries, threshold={payload.Threshold:F4}, total_samples={payload.TotalSamplesSeen}"));
        int rank = 1;
        foreach (var e in payload.Entries.Take(_options.HardExamplesShown))
        {
            _out.WriteLine(string.Create(Invariant, $"    #{rank++}: loss={e.Loss:F4}, step={e.Step}, lang_action={e.Text} (len={e.Text.Length})"));
        }
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

    private string? VerifyReload(string path, MockLossModel model, AdamW optimizer, HardExampleTracker? tracker)
    {
        _out.WriteLine("Reloading checkpoint into a fresh model, optimizer and tracker...");
        using var reloaded = new MockLossModel(_source.Options, _options.Seed + 1); // different init: loading must overwrite it
        using var reloadedOptimizer = new AdamW(reloaded.NamedParameters(), _options.LearningRate);
        MockCheckpoint.TrainerState state;
        try
        {
            state = MockCheckpoint.Load(path, reloaded, reloadedOptimizer);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or ArgumentException or TorchException)
        {
            return ex.Message;
        }

        if (state.Step != _options.NumTrainSteps)
        {
            return $"step {state.Step} in the checkpoint, expected {_options.NumTrainSteps}";
        }

        var differing = DifferentTensors(model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)), reloaded.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)));
        if (differing is not null)
        {
            return $"parameters differ after reload: {differing}";
        }

        _out.WriteLine($"  parameters: {model.NamedParameters().Count()} tensors identical");
        var a = optimizer.GetState();
        var b = reloadedOptimizer.GetState();
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

        long next = _options.NumTrainSteps;
        var original = TrainStep(model, optimizer, tracker, next);
        var resumed = TrainStep(reloaded, reloadedOptimizer, reloadedTracker, next);
        if (BitConverter.DoubleToInt64Bits(original.Loss) != BitConverter.DoubleToInt64Bits(resumed.Loss) || !original.PerSampleLoss.AsSpan().SequenceEqual(resumed.PerSampleLoss))
        {
            return string.Create(Invariant, $"the step after the checkpoint gives loss {resumed.Loss:R} resumed vs {original.Loss:R} straight");
        }

        differing = DifferentTensors(model.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)), reloaded.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)));
        if (differing is not null)
        {
            return $"parameters differ after the resumed step: {differing}";
        }

        _out.WriteLine(string.Create(Invariant, $"  resumed step {next}: loss={resumed.Loss:F6} equals the straight run's; parameters after the step identical"));
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
