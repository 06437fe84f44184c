// The outcome of Trainer.Run: how far it got, the logged metrics, the last losses and where its files are.
using MaskedSft.MLNet.HardExamples;

namespace MaskedSft.MLNet.Training;

/// <summary>Result of a <see cref="Trainer"/> run.</summary>
/// <param name="Step">Optimizer steps completed (global, including steps before a resume).</param>
/// <param name="MaxSteps">The planned number of steps.</param>
/// <param name="Cancelled">Whether the run stopped early on its cancellation token.</param>
/// <param name="Metrics">Every logged step of this run, in order.</param>
/// <param name="FinalLoss">Training loss of the last step (NaN when no step ran).</param>
/// <param name="FinalValidationLoss">The last validation loss, or null when none was computed.</param>
/// <param name="Elapsed">Wall time of this run.</param>
/// <param name="LastCheckpoint">The newest checkpoint folder written by this run, or null.</param>
/// <param name="HardExamples">The hard-example buffer at the end of the run (entries hardest first); null when tracking is off.</param>
/// <param name="ReportPath">The run's report.md, or null without an output directory.</param>
public sealed record TrainingResult(
    long Step,
    long MaxSteps,
    bool Cancelled,
    IReadOnlyList<StepMetrics> Metrics,
    double FinalLoss,
    double? FinalValidationLoss,
    TimeSpan Elapsed,
    string? LastCheckpoint,
    HardExamplePayload? HardExamples = null,
    string? ReportPath = null);
