// The focused hard-example tracking check (`maskedsft mock-hard-examples`): losses from the mock model, tracker, thumbnails, checks.
using System.Globalization;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.Testing.Imaging;
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// Feeds the per-sample losses of a (untrained) <see cref="MockLossModel"/> on <see cref="MockEpisodeSource"/> batches to a
/// <see cref="HardExampleTracker"/> with 64x64 PNG thumbnails, prints progress and a listing, then checks: buffer size within
/// capacity, sorted by loss, keys match entries, every entry has a valid 64x64x3 image; and prints statistics.
/// </summary>
public sealed class MockHardExampleCheck
{
    /// <summary>Losses above this count as high in the statistics.</summary>
    public const double HighLossLevel = 4.0;

    /// <summary>Steps between progress lines and tracker snapshots.</summary>
    public const int LogInterval = 10;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private readonly int _steps;
    private readonly int _batchSize;
    private readonly int _bufferSize;
    private readonly ulong _seed;
    private readonly TextWriter _out;

    /// <summary>Creates the check.</summary>
    /// <param name="steps">Steps to run (&gt; 0).</param>
    /// <param name="batchSize">Samples per step (&gt; 0).</param>
    /// <param name="bufferSize">Tracker capacity (&gt; 0).</param>
    /// <param name="output">Where lines go.</param>
    /// <param name="seed">Seed of data and model.</param>
    /// <exception cref="ArgumentOutOfRangeException">When a count is not positive.</exception>
    /// <exception cref="ArgumentNullException">When <paramref name="output"/> is null.</exception>
    public MockHardExampleCheck(int steps, int batchSize, int bufferSize, TextWriter output, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        ArgumentNullException.ThrowIfNull(output);
        _steps = steps;
        _batchSize = batchSize;
        _bufferSize = bufferSize;
        _out = output;
        _seed = seed;
    }

    /// <summary>Runs the check.</summary>
    /// <returns>Null when every check passed, else the first failure.</returns>
    public string? Run()
    {
        var rule = new string('=', 80);
        var thin = new string('-', 80);
        _out.WriteLine(rule);
        _out.WriteLine("HARD EXAMPLE TRACKING INTEGRATION TEST");
        _out.WriteLine(rule);
        _out.WriteLine("Config:");
        _out.WriteLine($"  Steps: {_steps}");
        _out.WriteLine($"  Batch size: {_batchSize}");
        _out.WriteLine($"  Buffer size: {_bufferSize}");
        _out.WriteLine($"  Log interval: {LogInterval}");
        _out.WriteLine("  Process index: 0");
        _out.WriteLine("  Process count: 1");
        _out.WriteLine(rule);
        var tokenizer = new MockTokenizer();
        var source = new MockEpisodeSource(new MockEpisodeSourceOptions { BatchSize = _batchSize, Seed = _seed }, tokenizer);
        using var model = new MockLossModel(source.Options, _seed);
        var tracker = new HardExampleTracker(new HardExampleTrackerOptions { Capacity = _bufferSize, LogInterval = LogInterval });
        long high = 0;
        double max = double.NegativeInfinity;
        for (int step = 0; step < _steps; step++)
        {
            var batch = source.GetBatch(step);
            float[] losses;
            using (var scope = new DisposeScope())
            using (new NoGradScope())
            using (var tensors = MockEpisodeTensors.From(batch))
            {
                losses = model.Forward(tensors).PerSampleLoss.ToArray<float>();
            }

            tracker.UpdateLosses(step, losses);
            tracker.AddExamples(step, new MockHardExampleBatch(batch, tokenizer), losses, batch.Keys);
            int highHere = losses.Count(l => l > HighLossLevel);
            high += highHere;
            max = Math.Max(max, losses.Max());
            if (step % LogInterval == 0)
            {
                _out.WriteLine(string.Create(Invariant,
                    $"Step {step,3}: loss_range=[{losses.Min():F2}, {losses.Max():F2}], high_loss_count={highHere}, buffer_size={tracker.Count}"));
            }

            if (step > 0 && tracker.IsLogStep(step) && step != _steps - 1)
            {
                tracker.Snapshot(step);
            }
        }

        var payload = tracker.Snapshot(_steps);
        _out.WriteLine(thin);
        _out.WriteLine($"HARD EXAMPLES AT STEP {_steps}:");
        _out.WriteLine($"  Total entries: {payload.Entries.Count}");
        _out.WriteLine(string.Create(Invariant, $"  Quantile threshold: {payload.Threshold:F4}"));
        _out.WriteLine($"  Interval samples: {payload.IntervalSampleCount}");
        int rank = 1;
        foreach (var e in payload.Entries.Take(10))
        {
            var shape = e.ThumbnailPng is null ? "none" : Describe(e.ThumbnailPng);
            _out.WriteLine(string.Create(Invariant, $"    #{rank++}: loss={e.Loss:F4}, process={e.ProcessIndex}, global_idx={e.GlobalIndex}, image_shape={shape}"));
        }

        if (payload.Entries.Count > 10)
        {
            _out.WriteLine($"    ... ({payload.Entries.Count - 10} more)");
        }

        _out.WriteLine(thin);
        long seen = tracker.TotalSamplesSeen;
        _out.WriteLine(rule);
        _out.WriteLine("TEST COMPLETE");
        _out.WriteLine(rule);
        _out.WriteLine("Statistics:");
        _out.WriteLine($"  Total samples seen: {seen}");
        _out.WriteLine(string.Create(Invariant, $"  Total high-loss samples (>{HighLossLevel:F1}): {high}"));
        _out.WriteLine(string.Create(Invariant, $"  High-loss percentage: {100.0 * high / seen:F2}%"));
        _out.WriteLine(string.Create(Invariant, $"  Max loss seen: {max:F4}"));
        _out.WriteLine($"  Final buffer size: {tracker.Count}");
        _out.WriteLine($"  Final keys tracked: {tracker.Keys.Count}");

        var checks = new (string Name, string? Problem)[]
        {
            ("Buffer size constraint satisfied", tracker.Count <= _bufferSize ? null : $"{tracker.Count} entries for a capacity of {_bufferSize}"),
            ("Buffer correctly sorted by loss", Enumerable.Range(1, Math.Max(0, tracker.Count - 1)).All(i => tracker.Entries[i].Loss <= tracker.Entries[i - 1].Loss) ? null : "entries are not sorted by loss"),
            ("Keys match buffer entries", tracker.Keys.Count == tracker.Count && tracker.Entries.All(e => tracker.Keys.Contains(e.Key)) ? null : "the key index and the entries differ"),
            ("All buffer entries have valid images", ImagesProblem(tracker)),
            ("Buffer is not empty", tracker.Count > 0 ? null : "no sample was tracked"),
        };
        string? failure = null;
        foreach (var (name, problem) in checks)
        {
            _out.WriteLine(problem is null ? $"✓ {name}" : $"✗ {name}: {problem}");
            failure ??= problem;
        }

        _out.WriteLine(rule);
        _out.WriteLine(failure is null ? "✅ TEST PASSED" : $"❌ TEST FAILED: {failure}");
        return failure;
    }

    private static string? ImagesProblem(HardExampleTracker tracker)
    {
        foreach (var e in tracker.Entries)
        {
            if (e.ThumbnailPng is null)
            {
                return $"entry '{e.Key}' has no image";
            }

            try
            {
                var image = PngDecoder.Decode(e.ThumbnailPng);
                if ((image.Height, image.Width, image.Channels) != (ImageThumbnail.DefaultSize, ImageThumbnail.DefaultSize, 3))
                {
                    return $"entry '{e.Key}' has a {image.Height}x{image.Width}x{image.Channels} image, expected 64x64x3";
                }
            }
            catch (PngFormatException ex)
            {
                return $"entry '{e.Key}' has an invalid PNG: {ex.Message}";
            }
        }

        return null;
    }

    private static string Describe(byte[] png)
    {
        try
        {
            var image = PngDecoder.Decode(png);
            return $"({image.Height}, {image.Width}, {image.Channels})";
        }
        catch (PngFormatException)
        {
            return "invalid";
        }
    }
}
