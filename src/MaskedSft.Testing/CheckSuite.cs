// The whole validation kit in one call: loss-mask checks, accumulation, advantage normalisation and the training check.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;

using MaskedSft.MLNet.Doctor;

namespace MaskedSft.Testing;

/// <summary>Runs every check of the kit on a model.</summary>
public static class CheckSuite
{
    /// <summary>
    /// Runs the loss-mask checks, gradient accumulation (token-mean and seq-mean-token-mean), advantage normalisation and,
    /// when <paramref name="training"/> is given, the masked-pattern training check (which trains fresh tiny models).
    /// </summary>
    /// <param name="model">The model under test (put it in evaluation mode).</param>
    /// <param name="options">Options of the loss-mask checks; null = defaults.</param>
    /// <param name="training">Options of the training check, or null to skip it.</param>
    /// <param name="cancellationToken">Stops the training check.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static CheckReport Run(ILogitsModel model, LossMaskCheckOptions? options = null, MaskedPatternOptions? training = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var results = new List<CheckResult>(LossMaskChecks.RunAll(model, options).Results);
        var tokenMean = AccumulationChecks.GradientAccumulation(model, new WeightedSftLossOptions { Aggregation = LossAggregation.TokenMean });
        var seqMean = AccumulationChecks.GradientAccumulation(model, new WeightedSftLossOptions { Aggregation = LossAggregation.SequenceMeanTokenMean });
        results.Add(tokenMean with { Name = tokenMean.Name + " (token-mean)" });
        results.Add(seqMean with { Name = seqMean.Name + " (seq-mean-token-mean)" });
        results.Add(AdvantageChecks.Normalization());
        if (training is not null)
        {
            results.AddRange(TrainingChecks.MaskedPatternLearning(training, cancellationToken).Checks);
        }

        return new CheckReport(results);
    }

    /// <summary>The training-check settings the CLI uses: the seed's 3 x 128 model and 200 steps, with a vocabulary of 512
    /// and 8 episodes per step so the check takes seconds on a small CPU.</summary>
    public static MaskedPatternOptions QuickTraining => new()
    {
        Model = GptConfig.Small with { BlockSize = 16, VocabSize = 512 },
        BatchSize = 8,
    };
}
