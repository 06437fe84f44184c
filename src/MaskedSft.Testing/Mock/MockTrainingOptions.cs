// Options of a mock training run (the `maskedsft mock-train` flags).
namespace MaskedSft.Testing.Mock;

/// <summary>Options of <see cref="MockTrainingRun"/>; the defaults are those of <c>maskedsft mock-train</c>.</summary>
public sealed record MockTrainingOptions
{
    /// <summary>Training steps. Default 100.</summary>
    public int NumTrainSteps { get; init; } = 100;

    /// <summary>Samples per step. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Steps between metric lines. Default 10.</summary>
    public int LogInterval { get; init; } = 10;

    /// <summary>Steps between hard-example listings (the tracker's interval). Default 50.</summary>
    public int HardExampleLogInterval { get; init; } = 50;

    /// <summary>Hard-example buffer capacity K. Default 50.</summary>
    public int MaxHardExamplesBuffer { get; init; } = 50;

    /// <summary>Whether to track hard examples. Default true.</summary>
    public bool TrackHardExamples { get; init; } = true;

    /// <summary>Where checkpoints go. Default <c>{temp}/maskedsft_mock_training_checkpoints</c>.</summary>
    public string CheckpointDir { get; init; } = Path.Combine(Path.GetTempPath(), "maskedsft_mock_training_checkpoints");

    /// <summary>Seed of the data and the model. Default 0.</summary>
    public ulong Seed { get; init; }

    /// <summary>AdamW learning rate. Default 3e-3.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Gradient clipping norm. Default 1.0.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Number of hard examples listed at each listing. Default 10.</summary>
    public int HardExamplesShown { get; init; } = 10;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a field is out of range; the message names it.</exception>
    /// <exception cref="ArgumentException">When the checkpoint directory is empty.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(NumTrainSteps, nameof(NumTrainSteps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LogInterval, nameof(LogInterval));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HardExampleLogInterval, nameof(HardExampleLogInterval));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxHardExamplesBuffer, nameof(MaxHardExamplesBuffer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxGradNorm, nameof(MaxGradNorm));
        ArgumentException.ThrowIfNullOrWhiteSpace(CheckpointDir, nameof(CheckpointDir));
    }
}
