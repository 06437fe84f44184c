// The seed's loss-mask unit checks as library functions: corrupted masked targets, gradients, mask effect, all-zero mask.
using System.Globalization;
using MaskedSft.Torch;

using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Models;

namespace MaskedSft.Testing;

/// <summary>
/// Cheap checks that a model's masked loss trains exactly the supervised targets. Each builds a seeded synthetic batch
/// (B rows of T random tokens, random targets, mask 0 on the first half of the positions and 1 on the second) and returns a
/// <see cref="CheckResult"/> with the measured numbers. The model should be deterministic (evaluation mode).
/// </summary>
public static class LossMaskChecks
{
    /// <summary>Name of <see cref="CorruptedMaskedTargets"/>.</summary>
    public const string CorruptedMaskedTargetsName = "corrupted-masked-targets";

    /// <summary>Name of <see cref="GradientCheck"/>.</summary>
    public const string GradientCheckName = "gradient-at-masked-positions";

    /// <summary>Name of <see cref="MaskVersusNoMask"/>.</summary>
    public const string MaskVersusNoMaskName = "mask-vs-no-mask";

    /// <summary>Name of <see cref="AllZeroMask"/>.</summary>
    public const string AllZeroMaskName = "all-zero-mask";

    /// <summary>Runs the four checks.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Batch shape, seed, loss under test, tolerances.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckReport RunAll(ILogitsModel model, LossMaskCheckOptions? options = null) =>
        new([
            CorruptedMaskedTargets(model, options),
            GradientCheck(model, options),
            MaskVersusNoMask(model, options),
            AllZeroMask(model, options),
        ]);

    /// <summary>
    /// Corrupting the targets at masked positions must leave the loss identical (|difference| &lt;= tolerance), while
    /// corrupting targets at trained positions must change it (so the check can tell a loss that ignores targets).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Options.</param>
    /// <returns>The result; measured: loss, loss_corrupted_masked, difference, difference_when_trained_corrupted.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckResult CorruptedMaskedTargets(ILogitsModel model, LossMaskCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LossMaskCheckOptions();
        options.Validate();
        return CheckResult.Guard(CorruptedMaskedTargetsName, () =>
        {
            using var scope = new DisposeScope();
            using var noGrad = new NoGradScope();
            var batch = SyntheticBatch.Create(model, options);
            var loss = options.LossOrDefault;
            var logits = model.Forward(batch.Inputs);
            var clean = loss(logits, batch.Targets, batch.Mask).Item<double>();
            var corrupted = loss(logits, batch.CorruptAt(masked: true), batch.Mask).Item<double>();
            var trainedCorrupted = loss(logits, batch.CorruptAt(masked: false), batch.Mask).Item<double>();
            var difference = Math.Abs(clean - corrupted);
            var sensitivity = Math.Abs(clean - trainedCorrupted);
            var passed = double.IsFinite(clean) && difference <= options.LossTolerance && sensitivity > options.MinimumMaskEffect;
            var measured = CheckResult.Values(("loss", clean), ("loss_corrupted_masked", corrupted), ("difference", difference), ("difference_when_trained_corrupted", sensitivity));
            var explanation = passed
                ? $"changing the {batch.MaskedCount} masked targets left the loss unchanged (difference {F(difference)}); changing trained targets moved it by {F(sensitivity)}"
                : difference > options.LossTolerance || !double.IsFinite(clean)
                    ? $"the loss changed by {F(difference)} (> {F(options.LossTolerance)}) when only masked targets changed: masked positions leak into the loss. Check that the mask reaches the loss and multiplies (or selects) every term."
                    : $"the loss did not react to changed trained targets (difference {F(sensitivity)}): the check cannot see the targets; is the loss computed from them?";
            return new CheckResult(CorruptedMaskedTargetsName, passed, measured, explanation);
        });
    }

    /// <summary>
    /// The gradient of the loss with respect to the logits must be exactly zero at masked positions, and changing the
    /// masked targets must leave every parameter gradient unchanged.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Options.</param>
    /// <returns>The result; measured: max_abs_logit_grad_masked, logit_grad_norm_trained, max_param_grad_change.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckResult GradientCheck(ILogitsModel model, LossMaskCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LossMaskCheckOptions();
        options.Validate();
        return CheckResult.Guard(GradientCheckName, () =>
        {
            using var scope = new DisposeScope();
            var batch = SyntheticBatch.Create(model, options);
            var parameters = model.TrainableParameters().ToList();
            var (logitGrad, first) = Gradients(model, parameters, batch.Inputs, batch.Targets, batch.Mask, options.LossOrDefault);
            var (_, second) = Gradients(model, parameters, batch.Inputs, batch.CorruptAt(masked: true), batch.Mask, options.LossOrDefault);
            var masked = batch.Mask.Eq(0L).Unsqueeze(-1);                                    // (B, T, 1)
            var maskedMax = TorchOps.Where(masked, logitGrad.Abs(), TorchOps.ZerosLike(logitGrad)).Max().Item<double>();
            var trainedNorm = TorchOps.Where(masked, TorchOps.ZerosLike(logitGrad), logitGrad).Norm().Item<double>();
            var change = 0.0;
            for (var i = 0; i < first.Count; i++) change = Math.Max(change, first[i].Sub(second[i]).Abs().Max().Item<double>());
            var passed = maskedMax == 0.0 && change == 0.0 && trainedNorm > 0 && double.IsFinite(trainedNorm);
            var measured = CheckResult.Values(("max_abs_logit_grad_masked", maskedMax), ("logit_grad_norm_trained", trainedNorm), ("max_param_grad_change", change));
            string explanation;
            if (passed) explanation = $"logit gradients are exactly 0 at the {batch.MaskedCount} masked positions and no parameter gradient changed when their targets changed";
            else if (maskedMax != 0.0) explanation = $"masked positions receive logit gradients up to {F(maskedMax)}: the model learns from tokens it should not. Select or multiply by the mask before reducing.";
            else if (change != 0.0) explanation = $"changing masked targets changed a parameter gradient by {F(change)}: masked targets reach the backward pass.";
            else explanation = $"no gradient reaches the trained positions (norm {F(trainedNorm)}): the loss is detached from the logits or not finite.";
            return new CheckResult(GradientCheckName, passed, measured, explanation);
        });
    }

    /// <summary>A 50% mask must give a different loss than training on every position.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Options.</param>
    /// <returns>The result; measured: loss_masked, loss_unmasked, difference.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckResult MaskVersusNoMask(ILogitsModel model, LossMaskCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LossMaskCheckOptions();
        options.Validate();
        return CheckResult.Guard(MaskVersusNoMaskName, () =>
        {
            using var scope = new DisposeScope();
            using var noGrad = new NoGradScope();
            var batch = SyntheticBatch.Create(model, options);
            var logits = model.Forward(batch.Inputs);
            var masked = options.LossOrDefault(logits, batch.Targets, batch.Mask).Item<double>();
            var unmasked = options.LossOrDefault(logits, batch.Targets, TorchOps.OnesLike(batch.Mask)).Item<double>();
            var difference = Math.Abs(masked - unmasked);
            var passed = double.IsFinite(masked) && double.IsFinite(unmasked) && difference > options.MinimumMaskEffect;
            var explanation = passed
                ? $"the 50% mask changes the loss by {F(difference)} ({F(masked)} vs {F(unmasked)})"
                : $"the loss with a 50% mask ({F(masked)}) equals the loss without ({F(unmasked)}): the mask has no effect. Is it passed to the loss?";
            return new CheckResult(MaskVersusNoMaskName, passed, CheckResult.Values(("loss_masked", masked), ("loss_unmasked", unmasked), ("difference", difference)), explanation);
        });
    }

    /// <summary>An all-zero mask must give a loss of exactly 0 and finite, zero parameter gradients (no division by zero).</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Options.</param>
    /// <returns>The result; measured: loss, max_abs_param_grad.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static CheckResult AllZeroMask(ILogitsModel model, LossMaskCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LossMaskCheckOptions();
        options.Validate();
        return CheckResult.Guard(AllZeroMaskName, () =>
        {
            using var scope = new DisposeScope();
            var batch = SyntheticBatch.Create(model, options);
            var parameters = model.TrainableParameters().ToList();
            var (_, grads) = Gradients(model, parameters, batch.Inputs, batch.Targets, TorchOps.ZerosLike(batch.Mask), options.LossOrDefault, out var loss);
            var maxGrad = grads.Count == 0 ? 0.0 : grads.Max(g => g.Abs().Max().Item<double>());
            var passed = loss == 0.0 && maxGrad == 0.0;
            var explanation = passed
                ? "an all-zero mask gives a loss of exactly 0 and zero gradients"
                : double.IsNaN(loss) || double.IsNaN(maxGrad)
                    ? "an all-zero mask gives NaN: the loss divides by sum(mask) without guarding 0. Use sum(CE * mask) / max(sum(mask), 1)."
                    : $"an all-zero mask gives loss {F(loss)} and gradients up to {F(maxGrad)}: positions outside the mask are trained.";
            return new CheckResult(AllZeroMaskName, passed, CheckResult.Values(("loss", loss), ("max_abs_param_grad", maxGrad)), explanation);
        });
    }

    /// <summary>Runs a check, turning an exception into a failed result that names it.</summary>
    internal static string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static (Tensor LogitGrad, List<Tensor> ParameterGrads) Gradients(
        ILogitsModel model, IReadOnlyList<Parameter> parameters, Tensor inputs, Tensor targets, Tensor mask, MaskedLossFunction loss) =>
        Gradients(model, parameters, inputs, targets, mask, loss, out _);

    private static (Tensor LogitGrad, List<Tensor> ParameterGrads) Gradients(
        ILogitsModel model, IReadOnlyList<Parameter> parameters, Tensor inputs, Tensor targets, Tensor mask, MaskedLossFunction loss, out double lossValue)
    {
        foreach (var p in parameters) p.ZeroGrad();
        var logits = model.Forward(inputs);
        logits.RetainGrad();
        var value = loss(logits, targets, mask);
        lossValue = value.Item<double>();
        value.Backward();
        var logitGrad = logits.Grad ?? TorchOps.ZerosLike(logits);
        var grads = parameters.Select(p => p.Grad?.Clone() ?? TorchOps.ZerosLike(p)).ToList();
        foreach (var p in parameters) p.ZeroGrad();
        return (logitGrad, grads);
    }
}
