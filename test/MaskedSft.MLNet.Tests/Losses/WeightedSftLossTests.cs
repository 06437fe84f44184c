// WeightedSftLoss against the PyTorch reference (Fixtures/Losses/weighted_sft.json) and the seed's weighted-SFT suite.
using System.Text.Json;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Losses;

[TestClass]
[DoNotParallelize]
public sealed class WeightedSftLossTests
{
    [TestMethod]
    public void Compute_ReferenceCases_MatchPyTorchWithin1e5()
    {
        using var doc = FixtureFile.Open("Losses", "weighted_sft.json");
        var count = 0;
        foreach (var c in FixtureFile.Cases(doc))
        {
            using var scope = new DisposeScope();
            var name = c.GetProperty("name").GetString()!;
            long b = c.GetProperty("B").GetInt64(), t = c.GetProperty("T").GetInt64(), v = c.GetProperty("V").GetInt64();
            var logits = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("logits")), b, t, v).WithRequiresGrad();
            var tokens = Tensor.FromArray(FixtureFile.Longs(c.GetProperty("tokens")), b, t);
            var mask = Tensor.FromArray(FixtureFile.Floats(c.GetProperty("mask")), b, t);
            Tensor? adv = c.GetProperty("advantage_shape").GetString() switch
            {
                "none" => null,
                "sequence" => Tensor.FromArray(FixtureFile.Floats(c.GetProperty("advantages")), b),
                _ => Tensor.FromArray(FixtureFile.Floats(c.GetProperty("advantages")), b, t),
            };
            var loss = new WeightedSftLoss(OptionsFrom(c.GetProperty("options")));
            using var r = loss.Compute(logits, tokens, mask, adv);
            var reduction = loss.Options.Reduction;
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("loss")), r.Loss.ToArray<float>(), 1e-5, $"{name} loss");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("per_token_loss")), r.PerTokenLoss.ToArray<float>(), 1e-5, $"{name} per-token");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("effective_mask")), r.EffectiveMask.ToArray<float>(), 0, $"{name} effective mask");
            LossAssert.Close(FixtureFile.Doubles(c.GetProperty("advantages_used")), r.Advantages.ToArray<float>(), 1e-5, $"{name} advantages");
            CollectionAssert.AreEqual(new[] { b, t - 1 }, r.PerTokenLoss.Shape);
            if (reduction != LossReduction.None)
            {
                r.Loss.Backward();
                LossAssert.Close(FixtureFile.Doubles(c.GetProperty("grad_logits")), logits.Grad!.ToArray<float>(), 1e-5, $"{name} grad");
            }

            count++;
        }

        Assert.AreEqual(20, count);
    }

    [TestMethod]
    public void Compute_DoubleOneTokensAdvantage_DoublesItsContribution()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, mask) = Inputs(2, 6, 9, seed: 10);
        var adv = TorchOps.Ones([2, 6]);
        var loss = new WeightedSftLoss(new() { Reduction = LossReduction.None });
        using var baseline = loss.Compute(logits, tokens, mask, adv);
        var doubled = adv.Clone();
        doubled.Select(0, 1).Select(0, 4).Fill(2.0); // token 4 of row 1 as a target = column 3 after the shift
        using var twice = loss.Compute(logits, tokens, mask, doubled);
        var a = baseline.PerTokenLoss.ToArray<float>();
        var d = twice.PerTokenLoss.ToArray<float>();
        var target = 1 * 5 + 3;
        Assert.IsTrue(a[target] > 0);
        Assert.AreEqual(2 * a[target], d[target], 1e-6);
        for (var i = 0; i < a.Length; i++) if (i != target) Assert.AreEqual(a[i], d[i]);
        var sum = new WeightedSftLoss(new() { Reduction = LossReduction.Sum });
        Assert.AreEqual(
            sum.Compute(logits, tokens, mask, adv).Loss.Item<float>() + a[target],
            sum.Compute(logits, tokens, mask, doubled).Loss.Item<float>(), 1e-5);
    }

    [TestMethod]
    public void Compute_MaskAndIgnoreIndex_ExcludePositionsFromLossAndGradient()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, _) = Inputs(1, 5, 7, seed: 11);
        logits.RequiresGrad = true;
        var mask = Tensor.FromArray(new float[] { 1, 1, 0, 1, 1 }, 1, 5);
        var tok = tokens.Clone();
        tok.Select(1, 4).Fill(-100);                     // token 4 ignored as a target -> logits row 3 untouched
        using var r = new WeightedSftLoss().Compute(logits, tok, mask);
        CollectionAssert.AreEqual(new float[] { 1, 0, 1, 0 }, r.EffectiveMask.ToArray<float>());
        r.Loss.Backward();
        var grad = logits.Grad!.Reshape(5, 7);
        foreach (var row in new long[] { 1, 3, 4 })
        {
            Assert.IsTrue(grad.Select(0, row).ToArray<float>().All(g => g == 0f), $"logit row {row} must get no gradient");
        }

        Assert.IsTrue(grad.Select(0, 0).Abs().Sum().Item<float>() > 0);
    }

    [TestMethod]
    public void Compute_SequenceAdvantages_EqualBroadcastTokenAdvantages()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, mask) = Inputs(3, 5, 6, seed: 12);
        var perSeq = Tensor.FromArray(new float[] { 0.5f, -1f, 2f }, 3);
        var perToken = perSeq.Unsqueeze(1).Expand(3, 5).Contiguous();
        foreach (var norm in Enum.GetValues<AdvantageNormalization>())
        {
            var loss = new WeightedSftLoss(new() { AdvantageNormalization = norm });
            Assert.AreEqual(loss.Compute(logits, tokens, mask, perToken).Loss.Item<float>(), loss.Compute(logits, tokens, mask, perSeq).Loss.Item<float>(), $"{norm}");
        }
    }

    [TestMethod]
    public void NormalizeAdvantages_ConstantGroups_ExactlyZeroNotHuge()
    {
        using var scope = new DisposeScope();
        // 0.1 summed 7 times is not 7 * 0.1 in float32: the mean is off by rounding and a naive std + eps would blow up.
        var adv = TorchOps.Full([2, 7], 0.1);
        var valid = TorchOps.Ones([2, 7], ScalarType.Bool);
        foreach (var mode in new[] { AdvantageNormalization.Batch, AdvantageNormalization.Sequence })
        {
            Assert.IsTrue(WeightedSftLoss.NormalizeAdvantages(adv, valid, mode, 1e-8).ToArray<float>().All(a => a == 0f), $"{mode}");
        }

        var mixed = Tensor.FromArray(new float[] { 3, 3, 3, 1, 2, 3 }, 2, 3);
        var seq = WeightedSftLoss.NormalizeAdvantages(mixed, TorchOps.Ones([2, 3], ScalarType.Bool), AdvantageNormalization.Sequence, 1e-8).ToArray<float>();
        CollectionAssert.AreEqual(new float[] { 0, 0, 0 }, seq[..3]);
        Assert.AreEqual(-Math.Sqrt(1.5), seq[3], 1e-5);
        Assert.AreEqual(0, seq[4], 1e-6);
        Assert.AreEqual(Math.Sqrt(1.5), seq[5], 1e-5);
    }

    [TestMethod]
    public void Compute_Temperature_EqualsScaledLogits()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, mask) = Inputs(2, 6, 8, seed: 13);
        var hot = new WeightedSftLoss(new() { Temperature = 2.5 }).Compute(logits, tokens, mask).Loss.Item<float>();
        var scaled = new WeightedSftLoss().Compute(logits.Div(2.5), tokens, mask).Loss.Item<float>();
        var plain = new WeightedSftLoss().Compute(logits, tokens, mask).Loss.Item<float>();
        Assert.AreEqual(scaled, hot, 1e-6);
        Assert.AreNotEqual(plain, hot);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WeightedSftLoss(new() { Temperature = 0 }));
    }

    [TestMethod]
    public void Compute_AllZeroMask_ZeroLossZeroGradientNoNaN()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, _) = Inputs(2, 5, 6, seed: 14);
        logits.RequiresGrad = true;
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            foreach (var norm in Enum.GetValues<AdvantageNormalization>())
            {
                logits.ZeroGrad();
                using var r = new WeightedSftLoss(new() { Aggregation = agg, AdvantageNormalization = norm })
                    .Compute(logits, tokens, TorchOps.Zeros([2, 5]), TorchOps.Randn([2, 5], Generator.Create(1)));
                r.Loss.Backward();
                Assert.AreEqual(0f, r.Loss.Item<float>(), $"{agg}/{norm}");
                Assert.IsTrue(logits.Grad!.ToArray<float>().All(g => g == 0f), $"{agg}/{norm}");
            }
        }
    }

    [TestMethod]
    public void Compute_MicroBatchesWithGlobalNormalizer_SumToFullBatchLossAndGradient()
    {
        using var scope = new DisposeScope();
        const int B = 7, T = 9, V = 5;
        var logits = TorchOps.Randn([B, T, V], Generator.Create(21));
        var tokens = TorchOps.RandInt(0, V, [B, T], Generator.Create(22));
        // unequal token counts per row, one row with none, so micro-batches differ in supervised tokens
        var maskValues = new float[B * T];
        var lengths = new[] { 8, 1, 5, 0, 3, 8, 2 };
        for (var r = 0; r < B; r++) for (var j = 1; j <= lengths[r]; j++) maskValues[r * T + j] = 1;
        var mask = Tensor.FromArray(maskValues, B, T);
        var adv = TorchOps.Randn([B, T], Generator.Create(23));
        var shifted = Tensor.FromArray(maskValues, B, T).Slice(1, 1, T).Contiguous().ToArray<float>();
        var global = LossNormalizer.FromMask(shifted, B, normLength: 16);
        var windows = new (int Start, int Count)[] { (0, 3), (3, 3), (6, 1) }; // partial last window
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            var loss = new WeightedSftLoss(new() { Aggregation = agg, NormLength = 16 });
            var full = logits.Detach().Clone().WithRequiresGrad();
            var fullLoss = loss.Compute(full, tokens, mask, adv).Loss;
            fullLoss.Backward();
            var micro = logits.Detach().Clone().WithRequiresGrad();
            var total = 0.0;
            foreach (var (start, count) in windows)
            {
                var part = loss.Compute(micro.Narrow(0, start, count), tokens.Narrow(0, start, count), mask.Narrow(0, start, count), adv.Narrow(0, start, count), global).Loss;
                part.Backward();
                total += part.Item<float>();
            }

            Assert.AreEqual(fullLoss.Item<float>(), total, 1e-5, agg.ToName());
            LossAssert.Close(full.Grad!.ToArray<float>().Select(x => (double)x).ToArray(), micro.Grad!.ToArray<float>(), 1e-6, agg.ToName() + " grad");
        }
    }

    [TestMethod]
    public void Compute_BadAdvantageShape_ThrowsWithHint()
    {
        using var scope = new DisposeScope();
        var (logits, tokens, mask) = Inputs(2, 4, 3, seed: 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => new WeightedSftLoss().Compute(logits, tokens, mask, TorchOps.Ones([2, 3])));
        StringAssert.Contains(e.Message, "as a target");
    }

    private static (Tensor Logits, Tensor Tokens, Tensor Mask) Inputs(long b, long t, long v, ulong seed)
    {
        var logits = TorchOps.Randn([b, t, v], Generator.Create(seed));
        var tokens = TorchOps.RandInt(0, v, [b, t], Generator.Create(seed + 1));
        var mask = TorchOps.Ones([b, t]);
        return (logits, tokens, mask);
    }

    private static WeightedSftLossOptions OptionsFrom(JsonElement o)
    {
        var options = new WeightedSftLossOptions();
        if (o.TryGetProperty("reduction", out var r))
            options = options with { Reduction = r.GetString() switch { "sum" => LossReduction.Sum, "none" => LossReduction.None, _ => LossReduction.Mean } };
        if (o.TryGetProperty("normalization", out var n))
            options = options with { AdvantageNormalization = n.GetString() switch { "batch" => AdvantageNormalization.Batch, "sequence" => AdvantageNormalization.Sequence, _ => AdvantageNormalization.None } };
        if (o.TryGetProperty("temperature", out var t)) options = options with { Temperature = t.GetDouble() };
        if (o.TryGetProperty("ignore_index", out var i)) options = options with { IgnoreIndex = i.GetInt64() };
        if (o.TryGetProperty("aggregation", out var a)) options = options with { Aggregation = LossAggregationNames.Parse(a.GetString()!) };
        if (o.TryGetProperty("norm_length", out var l)) options = options with { NormLength = l.GetInt32() };
        return options;
    }
}
