// The mock model's loss as a training objective, so the mock run trains through the product's TrainingEngine.
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;

namespace MaskedSft.Testing.Mock;

/// <summary>
/// <see cref="MockLossModel"/> on <see cref="MockEpisodeBatch"/>es: a step's loss is the mean of its samples' losses over the
/// whole accumulation window (each micro-batch contributes its samples' sum divided by the window's sample count); a row's
/// score is its sample's loss (difficulty-weighted masked cross-entropy), as the hard-example tracker ranks it.
/// </summary>
public sealed class MockObjective : ITrainingObjective<MockEpisodeBatch>
{
    private long _windowSamples = 1;

    /// <summary>Creates the objective.</summary>
    /// <param name="model">The mock model trained.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public MockObjective(MockLossModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
    }

    /// <summary>The model trained.</summary>
    public MockLossModel Model { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="window"/> is null.</exception>
    public long PrepareStep(IReadOnlyList<MockEpisodeBatch> window)
    {
        ArgumentNullException.ThrowIfNull(window);
        _windowSamples = Math.Max(1, window.Sum(b => (long)b.BatchSize));
        return window.Sum(b => (long)b.ActionMask.Count(m => m));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    public MicroBatchLoss Compute(MockEpisodeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var output = Model.Forward(MockEpisodeTensors.From(batch));
        var loss = output.PerSampleLoss.Sum().Div(_windowSamples);                                   // ()
        return new MicroBatchLoss(loss, output.PerSampleLoss.Detach(), output.SupervisedTokens, output.CorrectTokens,
            (long)batch.BatchSize * (batch.PromptLength + batch.ActionLength));
    }
}
