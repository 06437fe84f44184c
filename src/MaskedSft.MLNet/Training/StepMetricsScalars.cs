// The numbers of a step's metrics as named scalars, named as in metrics.jsonl (nested objects joined with '/').
namespace MaskedSft.MLNet.Training;

/// <summary>
/// The scalars of a <see cref="StepMetrics"/> under the names of its metrics.jsonl line (<see cref="MetricsWriter"/>):
/// <c>loss</c>, <c>grad_norm</c>, <c>param_norm</c>, <c>token_acc</c>, <c>max_per_sample_loss</c>, <c>lr</c>,
/// <c>tokens_per_s</c>, <c>supervised_tokens</c>, <c>val_loss</c> when evaluated, and <c>hard_examples/buffer_size</c>,
/// <c>/threshold</c>, <c>/top_loss</c>, <c>/samples_seen</c>, <c>/admitted</c> when tracked. A field added to the metrics
/// line belongs here too (scripts/gpu/tensorboard_check.py fails on a metrics.jsonl number that TensorBoard lacks).
/// </summary>
public static class StepMetricsScalars
{
    /// <summary>The named scalars of one step.</summary>
    /// <param name="m">The step's metrics.</param>
    /// <returns>(name, value) pairs in metrics.jsonl order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="m"/> is null.</exception>
    public static IReadOnlyList<(string Name, double Value)> Of(StepMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var list = new List<(string, double)>(16)
        {
            ("loss", m.Loss),
            ("grad_norm", m.GradNorm),
            ("param_norm", m.ParamNorm),
            ("token_acc", m.TokenAccuracy),
            ("max_per_sample_loss", m.MaxPerSampleLoss),
            ("lr", m.LearningRate),
            ("tokens_per_s", m.TokensPerSecond),
            ("supervised_tokens", m.SupervisedTokens),
        };
        if (m.ValidationLoss is { } val) list.Add(("val_loss", val));
        if (m.HardExamples is { } h)
        {
            list.Add(("hard_examples/buffer_size", h.BufferSize));
            list.Add(("hard_examples/threshold", h.Threshold));
            list.Add(("hard_examples/top_loss", h.TopLoss));
            list.Add(("hard_examples/samples_seen", h.SamplesSeen));
            list.Add(("hard_examples/admitted", h.Admitted));
        }

        return list;
    }
}
