// What one training run of the masked-pattern check measured.
namespace MaskedSft.Testing;

/// <summary>Numbers of one run of <see cref="TrainingChecks.MaskedPatternLearning"/>.</summary>
/// <param name="UsedMask">Whether the loss mask was on (response targets only) or off (every target).</param>
/// <param name="InitialLoss">Training loss of the first step.</param>
/// <param name="FinalLoss">Mean training loss of the last 10 steps.</param>
/// <param name="ResponseLoss">Loss on the response targets of the training episodes after training.</param>
/// <param name="PromptLoss">Loss on the prompt targets (positions 1..P-1) of the TRAINING episodes after training, over the
/// V-1 tokens other than the response token (prompts never contain it), so a learned preference for the response token does
/// not count: ln(V-1) when nothing about the prompts was learned, lower when they were memorised.</param>
/// <param name="RawPromptLoss">The same loss over all V tokens (it rises above ln(V) as the response token gains mass everywhere).</param>
/// <param name="GreedyResponseAccuracy">Fraction of greedily generated response tokens equal to the response token, after
/// FRESH prompts (never trained on).</param>
/// <param name="Seconds">Wall time of the run.</param>
public sealed record MaskedPatternRun(
    bool UsedMask,
    double InitialLoss,
    double FinalLoss,
    double ResponseLoss,
    double PromptLoss,
    double RawPromptLoss,
    double GreedyResponseAccuracy,
    double Seconds);
