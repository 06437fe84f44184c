// GrpoLoss, GroupAdvantages and KlEstimators against the PyTorch reference (Fixtures/Losses/grpo.json), plus the edge cases.
using System.Text.Json;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Losses;

[TestClass]
[DoNotParallelize]
public sealed class GrpoLossTests
{
    [TestMethod]
    public void Compute_EveryAggregationClipCaseKlAndIsLevel_MatchesPyTorchLossAndGradient()
    {
        using var doc = FixtureFile.Open("Losses", "grpo.json");
        var names = new List<string>();
        foreach (var c in FixtureFile.Cases(doc))
        {
            using var scope = new DisposeScope();
            var name = c.GetProperty("name").GetString()!;
            long b = c.GetProperty("B").GetInt64(), t = c.GetProperty("T").GetInt64();
            var logp = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("logp")), b, t).WithRequiresGrad();
            var old = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("old_logp")), b, t);
            var reference = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("ref_logp")), b, t);
            var mask = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("mask")), b, t);
            var truncated = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("truncated")), b);
            var advValues = FixtureFile.Floats(c.GetProperty("advantages"));
            var adv = c.GetProperty("advantage_shape").GetString() == "sequence" ? Tensor.FromArray(advValues, b) : Tensor.FromArray(advValues, b, t);
            var options = OptionsFrom(c.GetProperty("options"));
            using var r = new GrpoLoss(options).Compute(logp, old, adv, mask, reference, truncated);
            LossAssert.Close(c.GetProperty("loss").GetDouble(), r.Loss.Item<float>(), 1e-5, $"{name} loss");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("per_token_loss")), r.PerTokenLoss.Detach().ToArray<float>(), 1e-5, $"{name} per-token");
            r.Loss.Backward();
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("grad_logp")), logp.Grad!.ToArray<float>(), 1e-5, $"{name} grad");
            var n = c.GetProperty("trained_tokens").GetInt64();
            Assert.AreEqual(n, r.Statistics.Tokens, $"{name} tokens");
            Assert.AreEqual(c.GetProperty("clip_low").GetInt32() / (double)n, r.Statistics.ClipLowFraction, 1e-9, $"{name} clip low");
            Assert.AreEqual(c.GetProperty("clip_high").GetInt32() / (double)n, r.Statistics.ClipHighFraction, 1e-9, $"{name} clip high");
            Assert.AreEqual(c.GetProperty("dual_clip").GetInt32() / (double)n, r.Statistics.DualClipFraction, 1e-9, $"{name} dual clip");
            names.Add(name);
        }

        Assert.AreEqual(19, names.Count);
        foreach (var agg in new[] { "grpo", "bnpo", "dr_grpo", "dapo" })
        foreach (var level in new[] { "token", "sequence" })
            CollectionAssert.Contains(names, $"{agg}-{level}");
    }

    [TestMethod]
    public void GroupAdvantages_EveryScalingAndEpsilon_MatchesPyTorchWithZeroVarianceGroupsAtZero()
    {
        using var doc = FixtureFile.Open("Losses", "grpo.json");
        var count = 0;
        foreach (var c in doc.RootElement.GetProperty("advantage_cases").EnumerateArray())
        {
            using var scope = new DisposeScope();
            var scale = RewardScalingNames.Parse(c.GetProperty("scale").GetString()!);
            var eps = c.GetProperty("epsilon").GetDouble();
            var rewardValues = FixtureFile.Floats(c.GetProperty("rewards"));
            var rewards = Tensor.FromArray(rewardValues, rewardValues.Length);
            var groups = Tensor.FromArray(FixtureFile.Longs(c.GetProperty("groups")), rewardValues.Length);
            using var r = GroupAdvantages.Compute(rewards, groups, scale, eps);
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("advantages")), r.Advantages.ToArray<float>(), 1e-5, $"{scale} {eps}");
            var zero = r.ZeroVariance.To(ScalarType.Float32).ToArray<float>();
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("zero_variance")), zero, 0, $"{scale} zero variance");
            count++;
        }

        Assert.AreEqual(6, count);
    }

    [TestMethod]
    public void GroupAdvantages_AllEqualRewardsWithTinyEpsilon_GiveZeroNotNaN()
    {
        using var scope = new DisposeScope();
        var rewards = Tensor.FromArray(new[] { 0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.3f }, 6);
        var groups = Tensor.FromArray(new long[] { 0, 0, 0, 0, 1, 1 }, 6);
        foreach (var scale in Enum.GetValues<RewardScaling>())
        {
            using var r = GroupAdvantages.Compute(rewards, groups, scale, 1e-30);
            CollectionAssert.AreEqual(new float[6], r.Advantages.ToArray<float>(), $"{scale}");
            Assert.IsTrue(r.ZeroVariance.All().Item<bool>());
        }
    }

    [TestMethod]
    public void KlEstimators_ValueAndGradient_MatchPyTorchAndPullTowardTheReference()
    {
        using var doc = FixtureFile.Open("Losses", "grpo.json");
        foreach (var c in doc.RootElement.GetProperty("kl_cases").EnumerateArray())
        {
            using var scope = new DisposeScope();
            var estimator = KlEstimators.Parse(c.GetProperty("estimator").GetString()!);
            var logpValues = FixtureFile.Floats(c.GetProperty("logp"));
            var refValues = FixtureFile.Floats(c.GetProperty("ref_logp"));
            var logp = Tensor.FromArray(logpValues, 1, logpValues.Length).WithRequiresGrad();
            var reference = Tensor.FromArray(refValues, 1, refValues.Length);
            var value = KlEstimators.Compute(logp, reference, estimator);
            value.Sum().Backward();
            var grad = logp.Grad!.ToArray<float>();
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("value")), value.Detach().ToArray<float>(), 1e-5, $"{estimator} value");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("grad_logp")), grad, 1e-5, $"{estimator} grad");
            for (var i = 0; i < grad.Length; i++)
            {
                var delta = logpValues[i] - refValues[i];
                if (estimator == KlEstimator.K1) Assert.AreEqual(1f, grad[i], 1e-6f, "k1's gradient is 1 whatever the difference");
                else Assert.AreEqual(Math.Sign(delta), Math.Sign(grad[i]), $"{estimator}: descent must move log π toward the reference (δ = {delta})");
            }
        }
    }

    [TestMethod]
    public void Compute_AllMaskedRowsAndJunkLogProbs_GiveZeroLossAndZeroGradient()
    {
        using var scope = new DisposeScope();
        var logp = TorchOps.Full([2, 4], -0.7).WithRequiresGrad();
        var junk = TorchOps.Full([2, 4], 1.0);          // Atropos' 1.0 placeholders, exp() of which would be garbage
        var mask = TorchOps.Zeros([2, 4]);
        var adv = Tensor.FromArray(new[] { 1f, -1f }, 2);
        foreach (var agg in Enum.GetValues<GrpoAggregation>())
        foreach (var level in Enum.GetValues<ImportanceSamplingLevel>())
        {
            logp.ZeroGrad();
            using var r = new GrpoLoss(new() { Aggregation = agg, ImportanceSampling = level, KlBeta = 0.1, DualClip = 3 })
                .Compute(logp, junk, adv, mask, junk);
            Assert.AreEqual(0f, r.Loss.Item<float>(), $"{agg} {level}");
            r.Loss.Backward();
            CollectionAssert.AreEqual(new float[8], logp.Grad!.ToArray<float>(), $"{agg} {level} gradient");
            Assert.AreEqual(0, r.Statistics.Tokens);
        }
    }

    [TestMethod]
    public void Compute_WithoutOldLogProbs_RatioIsOneAndGradientIsMinusAdvantageOverTokens()
    {
        using var scope = new DisposeScope();
        var logp = Tensor.FromArray(new[] { -0.5f, -1.5f, -2f, -0.1f }, 1, 4).WithRequiresGrad();
        var mask = Tensor.FromArray(new[] { 1f, 1f, 0f, 1f }, 1, 4);
        var adv = Tensor.FromArray(new[] { 2f }, 1);
        using var r = new GrpoLoss(new() { Aggregation = GrpoAggregation.Bnpo }).Compute(logp, null, adv, mask);
        Assert.AreEqual(1.0, r.Statistics.MeanRatio, 1e-7);
        Assert.AreEqual(-2f, r.Loss.Item<float>(), 1e-6f);
        r.Loss.Backward();
        CollectionAssert.AreEqual(new[] { -2f / 3, -2f / 3, 0f, -2f / 3 }, logp.Grad!.ToArray<float>());
    }

    [TestMethod]
    public void Options_OutOfRange_AreRejectedWithTheirName()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GrpoLoss(new() { EpsilonLow = 1.0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GrpoLoss(new() { DualClip = 0.5 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new GrpoLoss(new() { KlBeta = -1 }));
        using var scope = new DisposeScope();
        var logp = TorchOps.Zeros([2, 3]);
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => new GrpoLoss(new() { KlBeta = 0.1 }).Compute(logp, null, TorchOps.Zeros([2]), TorchOps.Ones([2, 3])));
        StringAssert.Contains(e.Message, "KlBeta");
        Assert.ThrowsExactly<ArgumentException>(() => new GrpoLoss().Compute(logp, null, TorchOps.Zeros([3]), TorchOps.Ones([2, 3])));
    }

    private static GrpoLossOptions OptionsFrom(JsonElement o) => new()
    {
        EpsilonLow = o.GetProperty("eps_low").GetDouble(),
        EpsilonHigh = o.GetProperty("eps_high").GetDouble(),
        DualClip = o.GetProperty("dual_clip").ValueKind == JsonValueKind.Null ? null : o.GetProperty("dual_clip").GetDouble(),
        ImportanceSampling = o.GetProperty("is_level").GetString() == "sequence" ? ImportanceSamplingLevel.Sequence : ImportanceSamplingLevel.Token,
        Aggregation = GrpoAggregationNames.Parse(o.GetProperty("aggregation").GetString()!),
        MaxCompletionLength = o.GetProperty("max_completion_length").ValueKind == JsonValueKind.Null ? null : o.GetProperty("max_completion_length").GetInt32(),
        KlBeta = o.GetProperty("beta").GetDouble(),
        KlEstimator = KlEstimators.Parse(o.GetProperty("kl").GetString()!),
        MaskTruncatedCompletions = o.GetProperty("mask_truncated").GetBoolean(),
    };
}
