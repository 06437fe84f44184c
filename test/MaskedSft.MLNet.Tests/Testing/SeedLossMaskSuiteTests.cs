// The seed's loss-mask unit suite on the 2 layers x 64 GPT (vocabulary 50304): measured values, and the kit's verdicts.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;
using MaskedSft.MLNet.Doctor;
using MaskedSft.Testing;

namespace MaskedSft.MLNet.Tests.Validation;

[TestClass]
[DoNotParallelize]
public sealed class SeedLossMaskSuiteTests
{
    private static TinyGpt s_model = null!;

    [ClassInitialize]
    public static void ClassInitialize(TestContext context)
    {
        SingleThreadTorch.Enter();
        s_model = new TinyGpt(GptConfig.Tiny with { BlockSize = 32 }, seed: 7);
        s_model.Eval();
    }

    [ClassCleanup]
    public static void ClassCleanup()
    {
        s_model.Dispose();
        SingleThreadTorch.Exit();
    }

    [TestMethod]
    public void CorruptedMaskedTargets_SeedBatch_LossIdentical()
    {
        using var scope = new DisposeScope();
        var (x, y, mask) = SeedBatch();
        var corrupted = y.Clone();
        corrupted.Narrow(1, 0, 8).CopyFrom(TorchOps.RandInt(0, 50304, [2, 8], Generator.Create(99)));
        var clean = ModelLoss.Masked(s_model, x, y, mask).Item<double>();
        var dirty = ModelLoss.Masked(s_model, x, corrupted, mask).Item<double>();
        Assert.IsTrue(Math.Abs(clean - dirty) < 1e-6, $"loss {clean} vs {dirty}");
        var result = LossMaskChecks.CorruptedMaskedTargets(s_model);
        Assert.IsTrue(result.Passed, result.ToString());
        Assert.IsTrue(result.Measured["difference"] < 1e-6);
    }

    [TestMethod]
    public void GradientCheck_SeedBatch_ZeroAtMaskedAndParameterGradientsUnchanged()
    {
        using var scope = new DisposeScope();
        var (x, y, mask) = SeedBatch();
        var logits = s_model.Forward(x);
        logits.RetainGrad();
        MaskedCrossEntropy.Compute(logits, y, mask).Backward();
        var masked = logits.Grad!.Narrow(1, 0, 8);
        Assert.AreEqual(0.0, masked.Abs().Max().Item<double>(), "logit gradients at masked positions are exactly zero");
        Assert.IsTrue(logits.Grad!.Narrow(1, 8, 8).Abs().Max().Item<double>() > 0);
        s_model.ZeroGrad();
        var result = LossMaskChecks.GradientCheck(s_model);
        Assert.IsTrue(result.Passed, result.ToString());
        Assert.AreEqual(0.0, result.Measured["max_param_grad_change"]);
    }

    [TestMethod]
    public void MaskVersusNoMask_HalfMasked_LossesDiffer()
    {
        using var scope = new DisposeScope();
        var (x, y, mask) = SeedBatch();
        var masked = ModelLoss.Masked(s_model, x, y, mask).Item<double>();
        var unmasked = ModelLoss.Masked(s_model, x, y, TorchOps.Ones([2, 16])).Item<double>();
        Assert.IsTrue(Math.Abs(masked - unmasked) > 1e-4, $"{masked} vs {unmasked}");
        Assert.IsTrue(LossMaskChecks.MaskVersusNoMask(s_model).Passed);
    }

    [TestMethod]
    public void AllZeroMask_SeedBatch_ZeroLossNoNaN()
    {
        using var scope = new DisposeScope();
        var (x, y, _) = SeedBatch();
        var loss = ModelLoss.Masked(s_model, x, y, TorchOps.Zeros([2, 16]));
        Assert.AreEqual(0.0, loss.Item<double>());
        var result = LossMaskChecks.AllZeroMask(s_model);
        Assert.IsTrue(result.Passed, result.ToString());
    }

    [TestMethod]
    public void RunAll_BrokenLosses_EachDetectedWithExplanation()
    {
        // A loss that ignores the mask.
        var leaky = LossMaskChecks.RunAll(s_model, new LossMaskCheckOptions { Loss = (l, t, m) => MaskedCrossEntropy.Compute(l, t, TorchOps.OnesLike(m)) });
        Assert.IsFalse(leaky.Results.Single(r => r.Name == LossMaskChecks.CorruptedMaskedTargetsName).Passed);
        Assert.IsFalse(leaky.Results.Single(r => r.Name == LossMaskChecks.GradientCheckName).Passed);
        Assert.IsFalse(leaky.Results.Single(r => r.Name == LossMaskChecks.MaskVersusNoMaskName).Passed);
        Assert.IsFalse(leaky.AllPassed);
        StringAssert.Contains(leaky.ToTable(), "FAIL corrupted-masked-targets");

        // A loss that divides by sum(mask) unguarded: NaN on an empty mask.
        var unguarded = LossMaskChecks.AllZeroMask(s_model, new LossMaskCheckOptions { Loss = NaiveMean });
        Assert.IsFalse(unguarded.Passed);
        StringAssert.Contains(unguarded.Explanation, "NaN");
        Assert.IsTrue(LossMaskChecks.CorruptedMaskedTargets(s_model, new LossMaskCheckOptions { Loss = NaiveMean }).Passed, "the naive loss masks correctly otherwise");

        // A loss that masks the wrong half (off-by-one style misalignment of the mask).
        var shifted = LossMaskChecks.GradientCheck(s_model, new LossMaskCheckOptions { Loss = (l, t, m) => MaskedCrossEntropy.Compute(l, t, TorchOps.OnesLike(m).Sub(m)) });
        Assert.IsFalse(shifted.Passed);

        Assert.IsTrue(LossMaskChecks.RunAll(s_model).AllPassed);
    }

    private static Tensor NaiveMean(Tensor logits, Tensor targets, Tensor mask)
    {
        var v = logits.Size(-1);
        var ce = TorchOps.CrossEntropy(logits.Reshape(-1, v), targets.Reshape(-1), Reduction.None).Reshape(targets.Shape);
        return ce.Mul(mask).Sum().Div(mask.Sum());
    }

    /// <summary>x, y random over GPT-2's vocabulary, mask[:, 8:] = 1 (the seed's manual example).</summary>
    private static (Tensor X, Tensor Y, Tensor Mask) SeedBatch()
    {
        using var g = Generator.Create(5);
        var x = TorchOps.RandInt(0, 50304, [2, 16], g);
        var y = TorchOps.RandInt(0, 50304, [2, 16], g);
        var mask = TorchOps.Zeros([2, 16]);
        mask.Narrow(1, 8, 8).Fill(1.0);
        return (x, y, mask);
    }
}
