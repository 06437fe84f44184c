// Where a training run stands after an optimizer step, for progress displays (TrainerOptions.Progress).
namespace MaskedSft.MLNet.Training;

/// <summary>Reported to <see cref="TrainerOptions.Progress"/> after every optimizer step.</summary>
/// <param name="Step">Completed optimizer steps (global, so a resumed run starts where its checkpoint was).</param>
/// <param name="MaxSteps">The planned number of steps.</param>
public sealed record TrainingProgress(long Step, long MaxSteps);
