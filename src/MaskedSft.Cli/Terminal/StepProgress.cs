// Moves a terminal progress bar from the trainer's per-step reports (TrainerOptions.Progress).
using MaskedSft.MLNet.Training;

namespace MaskedSft.Cli.Terminal;

/// <summary>Forwards <see cref="TrainingProgress"/> to the bar set in <see cref="Bar"/> (none: ignored).</summary>
internal sealed class StepProgress : IProgress<TrainingProgress>
{
    /// <summary>The bar to move, once the display is running.</summary>
    public TerminalProgress.ProgressBar? Bar { get; set; }

    /// <inheritdoc />
    public void Report(TrainingProgress value) => Bar?.Report(value.Step, value.MaxSteps);
}
