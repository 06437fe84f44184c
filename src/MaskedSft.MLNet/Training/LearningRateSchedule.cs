// Learning-rate schedule: linear warmup from 0 to the peak, then cosine decay to a floor (nanoGPT's shape).
namespace MaskedSft.MLNet.Training;

/// <summary>
/// Linear warmup followed by cosine decay. <see cref="At"/> gives the rate for the optimizer step with a 0-based index:
/// during warmup <c>peak * (step + 1) / warmupSteps</c>, then <c>min + (peak - min) * (1 + cos(pi * p)) / 2</c> with
/// <c>p = (step - warmupSteps) / (totalSteps - warmupSteps)</c> clamped to [0, 1]; past the total it stays at the floor.
/// </summary>
public sealed class LearningRateSchedule
{
    /// <summary>Creates a schedule.</summary>
    /// <param name="peak">The rate reached at the end of warmup.</param>
    /// <param name="warmupSteps">Number of warmup steps (0 starts at the peak).</param>
    /// <param name="totalSteps">Total number of optimizer steps the decay spans.</param>
    /// <param name="minimum">The floor reached at <paramref name="totalSteps"/>; 0 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate is negative or not finite, a step count is negative, or the floor exceeds the peak.</exception>
    public LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double minimum = 0.0)
    {
        if (!double.IsFinite(peak) || peak < 0) throw new ArgumentOutOfRangeException(nameof(peak), peak, "The peak learning rate must be a finite number >= 0.");
        if (!double.IsFinite(minimum) || minimum < 0 || minimum > peak)
            throw new ArgumentOutOfRangeException(nameof(minimum), minimum, $"The minimum learning rate must be finite and within [0, peak={peak}].");
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        Peak = peak;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Minimum = minimum;
    }

    /// <summary>The rate at the end of warmup.</summary>
    public double Peak { get; }

    /// <summary>Number of warmup steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>Total number of steps the decay spans.</summary>
    public int TotalSteps { get; }

    /// <summary>The floor of the decay.</summary>
    public double Minimum { get; }

    /// <summary>The learning rate of the optimizer step <paramref name="step"/> (0-based).</summary>
    /// <param name="step">The 0-based optimizer step.</param>
    /// <returns>The learning rate.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    public double At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        var span = TotalSteps - WarmupSteps;
        if (span <= 0) return Peak;
        var progress = Math.Clamp((double)(step - WarmupSteps) / span, 0.0, 1.0);
        return Minimum + (Peak - Minimum) * 0.5 * (1.0 + Math.Cos(Math.PI * progress));
    }
}
