// Checks of advantage normalisation: equal rewards give exactly zero, normalised values stay bounded (failure mode 7).
using MaskedSft.MLNet.Losses;
using MaskedSft.Torch;

using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>Advantage-scaling checks of <see cref="WeightedSftLoss.NormalizeAdvantages"/>.</summary>
public static class AdvantageChecks
{
    /// <summary>Name of <see cref="Normalization"/>.</summary>
    public const string NormalizationName = "advantage-normalization";

    /// <summary>
    /// Groups of equal advantages (0.1, 1000.1 and -3 repeated; float rounding makes their computed std tiny but not zero)
    /// must normalise to exactly 0 in Batch and Sequence modes, and random advantages must stay within sqrt(n) of zero (the
    /// bound of a standardised group of n values).
    /// </summary>
    /// <param name="epsilon">The epsilon used by the loss (default 1e-8).</param>
    /// <returns>The result; measured: max_abs_constant_group, max_abs_random, bound.</returns>
    public static CheckResult Normalization(double epsilon = 1e-8) =>
        CheckResult.Guard(NormalizationName, () =>
        {
            using var scope = new DisposeScope();
            var constant = Tensor.FromArray(Enumerable.Repeat(0.1f, 7).Concat(Enumerable.Repeat(1000.1f, 7)).Concat(Enumerable.Repeat(-3f, 7)).ToArray(), 3, 7);
            var valid = TorchOps.OnesLike(constant, ScalarType.Bool);
            var random = TorchOps.Randn([3, 7], Generator.Create(3)).Mul(1e-3).Add(5.0);
            double constantMax = 0, randomMax = 0;
            foreach (var mode in new[] { AdvantageNormalization.Sequence })
            {
                constantMax = Math.Max(constantMax, WeightedSftLoss.NormalizeAdvantages(constant, valid, mode, epsilon).Abs().Max().Item<double>());
            }

            foreach (var row in new[] { 0, 1, 2 })
            {
                var one = constant.Narrow(0, row, 1);
                constantMax = Math.Max(constantMax, WeightedSftLoss.NormalizeAdvantages(one, valid.Narrow(0, row, 1), AdvantageNormalization.Batch, epsilon).Abs().Max().Item<double>());
            }

            foreach (var mode in new[] { AdvantageNormalization.Batch, AdvantageNormalization.Sequence })
            {
                randomMax = Math.Max(randomMax, WeightedSftLoss.NormalizeAdvantages(random, valid, mode, epsilon).Abs().Max().Item<double>());
            }

            var bound = Math.Sqrt(21);
            var passed = constantMax == 0.0 && randomMax <= bound;
            return new CheckResult(
                NormalizationName,
                passed,
                CheckResult.Values(("max_abs_constant_group", constantMax), ("max_abs_random", randomMax), ("bound", bound)),
                passed
                    ? "equal-reward groups normalise to exactly 0 and normalised advantages stay bounded"
                    : constantMax != 0.0
                        ? $"an equal-reward group normalised to values up to {LossMaskChecks.F(constantMax)} instead of 0: rounding noise in the std is being amplified."
                        : $"normalised advantages reach {LossMaskChecks.F(randomMax)} > {LossMaskChecks.F(bound)}.");
        });
}
