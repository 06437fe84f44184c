// The console progress line of a training run: step, loss, validation loss, lr, gradient norm, accuracy, speed, ETA.
using System.Globalization;

namespace MaskedSft.MLNet.Training;

/// <summary>Writes one line per logged step, e.g.
/// <c>step  40/200 [####................]  20% | loss 1.2345 | val 1.3012 | lr 9.5e-04 | gnorm 0.513 | acc 61.2% | 12.3k tok/s | eta 0:42</c>.</summary>
public sealed class ProgressPrinter
{
    private readonly TextWriter _writer;

    /// <summary>Creates a printer.</summary>
    /// <param name="writer">Where to write (e.g. <see cref="Console.Out"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    public ProgressPrinter(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <summary>Writes the line of a logged step.</summary>
    /// <param name="m">The step's metrics.</param>
    /// <param name="maxSteps">The planned number of steps.</param>
    /// <param name="remaining">Estimated time left, if known.</param>
    /// <exception cref="ArgumentNullException"><paramref name="m"/> is null.</exception>
    public void Report(StepMetrics m, long maxSteps, TimeSpan? remaining)
    {
        ArgumentNullException.ThrowIfNull(m);
        _writer.WriteLine(Format(m, maxSteps, remaining));
        _writer.Flush();
    }

    /// <summary>The text of a progress line.</summary>
    /// <param name="m">The step's metrics.</param>
    /// <param name="maxSteps">The planned number of steps.</param>
    /// <param name="remaining">Estimated time left, if known.</param>
    /// <returns>The line.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="m"/> is null.</exception>
    public static string Format(StepMetrics m, long maxSteps, TimeSpan? remaining)
    {
        ArgumentNullException.ThrowIfNull(m);
        var fraction = maxSteps > 0 ? Math.Clamp((double)m.Step / maxSteps, 0, 1) : 0;
        var filled = (int)Math.Round(fraction * 20);
        var width = maxSteps.ToString(CultureInfo.InvariantCulture).Length;
        var val = m.ValidationLoss is { } v ? string.Create(CultureInfo.InvariantCulture, $" | val {v:F4}") : string.Empty;
        var eta = remaining is { } r ? $" | eta {(int)r.TotalMinutes}:{r.Seconds:D2}" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"step {m.Step.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{maxSteps} [{new string('#', filled)}{new string('.', 20 - filled)}] {fraction * 100,3:F0}% | loss {m.Loss:F4}{val} | lr {m.LearningRate:0.0e+00} | gnorm {m.GradNorm:F3} | acc {m.TokenAccuracy * 100:F1}% | {Speed(m.TokensPerSecond)} tok/s{eta}");
    }

    private static string Speed(double tokensPerSecond) => tokensPerSecond >= 1000
        ? (tokensPerSecond / 1000).ToString("F1", CultureInfo.InvariantCulture) + "k"
        : tokensPerSecond.ToString("F0", CultureInfo.InvariantCulture);
}
