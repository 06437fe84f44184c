// Checks that gradient accumulation with a global normalizer reproduces the full batch's gradient (failure mode 5).
using MaskedSft.MLNet.Losses;
using MaskedSft.Torch;

using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>Gradient-accumulation checks.</summary>
public static class AccumulationChecks
{
    /// <summary>Name of <see cref="GradientAccumulation"/>.</summary>
    public const string GradientAccumulationName = "gradient-accumulation";

    /// <summary>
    /// Compares the parameter gradients of one batch of 6 rows with the sum over micro-batches of 3, 2 and 1 rows (unequal
    /// supervised-token counts, a partial last window) whose losses share one <see cref="LossNormalizer"/>; passes when the
    /// largest relative difference is at most 1e-4. Also reports what per-micro-batch averaging (the common bug) would give.
    /// </summary>
    /// <param name="model">The model (deterministic: evaluation mode).</param>
    /// <param name="loss">The loss settings (aggregation mode etc.); null = token-mean.</param>
    /// <param name="seed">Seed of the synthetic batch.</param>
    /// <returns>The result; measured: max_relative_error, naive_max_relative_error.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckResult GradientAccumulation(ILogitsModel model, WeightedSftLossOptions? loss = null, ulong seed = 1234)
    {
        ArgumentNullException.ThrowIfNull(model);
        var options = loss ?? new WeightedSftLossOptions();
        return CheckResult.Guard(GradientAccumulationName, () =>
        {
            using var scope = new DisposeScope();
            const int rows = 6, length = 12;
            using var g = Generator.Create(seed);
            var device = SyntheticBatch.DeviceOf(model);
            var x = TorchOps.RandInt(0, model.VocabSize, [rows, length], g).To(device);
            var y = TorchOps.RandInt(0, model.VocabSize, [rows, length], g).To(device);
            var maskValues = new float[rows * length];
            int[] supervised = [11, 2, 7, 0, 5, 9];
            for (var r = 0; r < rows; r++) for (var j = length - supervised[r]; j < length; j++) maskValues[r * length + j] = 1;
            var mask = Tensor.FromArray(maskValues, rows, length).To(device);
            var parameters = model.TrainableParameters().ToList();
            var fn = new WeightedSftLoss(options with { NormLength = options.NormLength ?? length });
            var global = LossNormalizer.FromMask(maskValues, rows, options.NormLength ?? length);
            (int Start, int Count)[] windows = [(0, 3), (3, 2), (5, 1)];

            var full = Gradients(parameters, () => fn.ComputeAligned(model.Forward(x), y, mask).Loss.Backward());
            var accumulated = Gradients(parameters, () =>
            {
                foreach (var (s, c) in windows) fn.ComputeAligned(model.Forward(x.Narrow(0, s, c)), y.Narrow(0, s, c), mask.Narrow(0, s, c), null, global).Loss.Backward();
            });
            var naive = Gradients(parameters, () =>
            {
                foreach (var (s, c) in windows) fn.ComputeAligned(model.Forward(x.Narrow(0, s, c)), y.Narrow(0, s, c), mask.Narrow(0, s, c)).Loss.Div(windows.Length).Backward();
            });
            var error = MaxRelative(full, accumulated);
            var naiveError = MaxRelative(full, naive);
            var passed = error <= 1e-4;
            var measured = CheckResult.Values(("max_relative_error", error), ("naive_max_relative_error", naiveError));
            var explanation = passed
                ? $"{options.Aggregation.ToName()}: micro-batches of 3+2+1 rows with one global normalizer give the full batch's gradients (max relative error {LossMaskChecks.F(error)}); averaging per micro-batch would be off by {LossMaskChecks.F(naiveError)}"
                : $"{options.Aggregation.ToName()}: accumulated gradients differ from the full batch's by {LossMaskChecks.F(error)}: the loss is not normalised over the whole accumulated batch.";
            return new CheckResult(GradientAccumulationName, passed, measured, explanation);
        });
    }

    private static List<Tensor> Gradients(IReadOnlyList<Parameter> parameters, Action backward)
    {
        foreach (var p in parameters) p.ZeroGrad();
        backward();
        var grads = parameters.Select(p => p.Grad?.Clone() ?? TorchOps.ZerosLike(p)).ToList();
        foreach (var p in parameters) p.ZeroGrad();
        return grads;
    }

    private static double MaxRelative(List<Tensor> expected, List<Tensor> actual)
    {
        var worst = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var scale = Math.Max(expected[i].Abs().Max().Item<double>(), 1e-12);
            worst = Math.Max(worst, expected[i].Sub(actual[i]).Abs().Max().Item<double>() / scale);
        }

        return worst;
    }
}
