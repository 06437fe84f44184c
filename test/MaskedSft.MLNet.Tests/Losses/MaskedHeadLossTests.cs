// WeightedSftLoss.ComputeFromHidden, the masked-only head: the same loss and gradients as full logits, advantages, token NLL;
// and EffectiveMask, the one rule for which targets count, on tensors and on spans.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Models;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Losses;

[TestClass]
[DoNotParallelize]
public sealed class MaskedHeadLossTests
{
    private static readonly GptConfig Small = new() { Layers = 2, Heads = 2, EmbeddingSize = 16, BlockSize = 12, VocabSize = 37 };

    [TestMethod]
    public void ComputeFromHidden_OnlySupervisedLogits_EqualsFullLogitsMaskedLossAndGradients()
    {
        using var scope = new DisposeScope();
        using var a = new TinyGpt(Small, seed: 3);
        using var b = new TinyGpt(Small, seed: 3);
        var x = TorchOps.RandInt(0, 37, [3, 10], Generator.Create(1));
        var y = TorchOps.RandInt(0, 37, [3, 10], Generator.Create(2));
        var mask = TorchOps.Rand([3, 10], Generator.Create(3)).Lt(0.4).To(ScalarType.Float32);
        var gathered = ModelLoss.Masked(a, x, y, mask);
        var full = MaskedCrossEntropy.Compute(b.Forward(x), y, mask);
        Assert.AreEqual(full.Item<float>(), gathered.Item<float>(), 1e-6);
        gathered.Backward();
        full.Backward();
        foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
        {
            LossAssert.Close(pb.Grad!.ToArray<float>().Select(v => (double)v).ToArray(), pa.Grad!.ToArray<float>(), 1e-5, name);
        }
    }

    [TestMethod]
    public void ComputeFromHidden_AllZeroMask_ZeroLossAndZeroGradients()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 4);
        var x = TorchOps.RandInt(0, 37, [2, 8], Generator.Create(1));
        var loss = ModelLoss.Masked(model, x, x, TorchOps.Zeros([2, 8]));
        loss.Backward();
        Assert.AreEqual(0f, loss.Item<float>());
        foreach (var (name, p) in model.NamedParameters())
        {
            var g = p.Grad;
            Assert.IsTrue(g is null || g.ToArray<float>().All(v => v == 0f), $"{name} must get a zero gradient");
        }
    }

    [TestMethod]
    public void ComputeFromHidden_AdvantagesAndAggregation_MatchComputeAlignedOnFullLogits()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 5);
        var x = TorchOps.RandInt(0, 37, [3, 9], Generator.Create(7));
        var y = TorchOps.RandInt(0, 37, [3, 9], Generator.Create(8));
        var mask = TorchOps.Rand([3, 9], Generator.Create(9)).Lt(0.6).To(ScalarType.Float32);
        var adv = TorchOps.Randn([3, 9], Generator.Create(10));
        foreach (var agg in Enum.GetValues<LossAggregation>())
        {
            var loss = new WeightedSftLoss(new() { Aggregation = agg, AdvantageNormalization = AdvantageNormalization.Sequence, Temperature = 1.3 });
            using var viaModel = ModelLoss.Output(model, x, y, mask, adv, loss);
            using var viaLogits = loss.ComputeAligned(model.Forward(x), y, mask, adv);
            Assert.AreEqual(viaLogits.Loss.Item<float>(), viaModel.Loss.Item<float>(), 1e-5, agg.ToName());
        }
    }

    [TestMethod]
    public void ComputeFromHidden_ChunkedHead_SameLossTokenLossesAccuracyAndGradientsAsWholeLogits()
    {
        using var scope = new DisposeScope();
        var x = TorchOps.RandInt(0, 37, [3, 11], Generator.Create(31));
        var y = TorchOps.RandInt(0, 37, [3, 11], Generator.Create(32));
        y = TorchOps.Where(TorchOps.Rand([3, 11], Generator.Create(33)).Lt(0.15), TorchOps.FullLike(y, -100), y);
        var mask = TorchOps.Rand([3, 11], Generator.Create(34)).Lt(0.7).To(ScalarType.Float32);
        var adv = TorchOps.Randn([3, 11], Generator.Create(35));
        // Every aggregation, with and without global denominators: the scalar reductions take the chunked head's
        // coefficient path (gradients computed in its forward), None the per-row backward.
        var cases = new[] { LossReduction.Mean, LossReduction.Sum, LossReduction.None }
            .SelectMany(r => Enum.GetValues<LossAggregation>().Select(a => (r, a)))
            .SelectMany(c => new LossNormalizer?[] { null, new LossNormalizer(40, 5, 7) }.Select(n => (c.r, c.a, n)));
        foreach (var (reduction, agg, normalizer) in cases)
        {
            {
                var options = new WeightedSftLossOptions { Reduction = reduction, Aggregation = agg, AdvantageNormalization = AdvantageNormalization.Batch, Temperature = 0.8 };
                using var whole = new TinyGpt(Small, seed: 21);
                using var chunked = new TinyGpt(Small, seed: 21);
                using var a = ModelLoss.Output(whole, x, y, mask, adv, new WeightedSftLoss(options with { HeadChunkRows = 0 }), normalizer);
                using var b = ModelLoss.Output(chunked, x, y, mask, adv, new WeightedSftLoss(options with { HeadChunkRows = 4 }), normalizer);
                var what = $"{reduction} {agg.ToName()} {normalizer}";
                Assert.IsNotNull(a.SelectedLogits, what + ": whole logits are kept");
                Assert.IsNull(b.SelectedLogits, what + ": chunked logits never exist whole");
                LossAssert.Close(a.Loss.To(ScalarType.Float64).Reshape(-1).ToArray<double>(), b.Loss.Reshape(-1).ToArray<float>(), 1e-5, what + " loss");
                LossAssert.Close(a.TokenNll.To(ScalarType.Float64).Reshape(-1).ToArray<double>(), b.TokenNll.Reshape(-1).ToArray<float>(), 1e-5, what + " token nll");
                LossAssert.Close(a.TokenLoss.To(ScalarType.Float64).Reshape(-1).ToArray<double>(), b.TokenLoss.Reshape(-1).ToArray<float>(), 1e-5, what + " token losses");
                CollectionAssert.AreEqual(a.Predictions.ToArray<long>(), b.Predictions.ToArray<long>(), what + " argmax");
                var upstream = reduction == LossReduction.None ? TorchOps.Randn([3, 11], Generator.Create(36)) : null;
                a.Loss.Backward(upstream);
                b.Loss.Backward(upstream);
                foreach (var ((name, pa), (_, pb)) in whole.NamedParameters().Zip(chunked.NamedParameters()))
                {
                    LossAssert.Close(pa.Grad!.ToArray<float>().Select(v => (double)v).ToArray(), pb.Grad!.ToArray<float>(), 1e-5, $"{what} d/d{name}");
                }
            }
        }
    }

    [TestMethod]
    public void ComputeFromHidden_Automatic_ChunksOnlyWhenTheSupervisedLogitsExceedOneChunk()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 7);
        var x = TorchOps.RandInt(0, 37, [2, 6], Generator.Create(41));
        using var small = ModelLoss.Output(model, x, x, null);
        Assert.IsNotNull(small.SelectedLogits, "12 rows x 37 logits fit in one chunk: projected whole");
        const long vocab = 1L << 21;                                                         // 16 rows per automatic chunk
        var hidden = TorchOps.Randn([1, 17, 2], Generator.Create(42));                        // (1, 17, 2)
        var head = TorchOps.Randn([vocab, 2], Generator.Create(43));                          // (V, 2)
        var targets = TorchOps.RandInt(0, vocab, [1, 17], Generator.Create(44));              // (1, 17)
        using var big = new WeightedSftLoss().ComputeFromHidden(hidden, head, targets, null);
        Assert.IsNull(big.SelectedLogits, "17 rows over a vocabulary of 2^21 exceed one automatic chunk (16 rows): chunked");
        var expected = TorchOps.CrossEntropy(TorchOps.Linear(hidden.Reshape(17, 2), head), targets.Reshape(-1));
        Assert.AreEqual(expected.Item<float>(), big.Loss.Item<float>(), 1e-4);
    }

    [TestMethod]
    public void ComputeFromHidden_TokenNll_IsTheUnweightedCrossEntropyOfSupervisedTargets()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 6);
        var x = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(11));
        var y = TorchOps.RandInt(0, 37, [2, 7], Generator.Create(12));
        var mask = TorchOps.Rand([2, 7], Generator.Create(13)).Lt(0.5).To(ScalarType.Float32);
        var adv = TorchOps.Randn([2, 7], Generator.Create(14));
        using var output = ModelLoss.Output(model, x, y, mask, adv);
        var logits = model.Forward(x);                                                       // (2, 7, V)
        var expected = TorchOps.CrossEntropy(logits.Reshape(14, 37), y.Reshape(-1), Reduction.None).Reshape(2, 7).Mul(mask); // (2, 7)
        LossAssert.Close(expected.ToArray<float>().Select(v => (double)v).ToArray(), output.TokenNll.ToArray<float>(), 1e-5, "token nll");
        Assert.IsFalse(output.TokenNll.RequiresGrad, "TokenNll is detached");
        LossAssert.Close(output.TokenNll.Mul(adv).ToArray<float>().Select(v => (double)v).ToArray(), output.TokenLoss.ToArray<float>(), 1e-5, "TokenLoss = TokenNll x advantage");
    }

    [TestMethod]
    public void ComputeFromHidden_NoLossMask_TrainsEveryTargetButTheIgnoreIndex()
    {
        using var scope = new DisposeScope();
        using var model = new TinyGpt(Small, seed: 16);
        var x = TorchOps.RandInt(0, 37, [2, 6], Generator.Create(21));
        var y = Tensor.FromArray(new long[] { 1, 2, 3, -100, -100, -100, 4, 5, 6, 7, 8, -100 }, 2, 6);
        using var noMask = ModelLoss.Output(model, x, y, null);
        using var realMask = ModelLoss.Output(model, x, y, EffectiveMask.Of(y, null, -100).To(ScalarType.Float32));
        Assert.AreEqual(realMask.Loss.Item<float>(), noMask.Loss.Item<float>());
        Assert.AreEqual(8L, noMask.SelectedTargets.Size(0));
    }

    [TestMethod]
    public void ComputeFromHidden_MismatchedShapes_ThrowsNamingThem()
    {
        using var scope = new DisposeScope();
        var loss = new WeightedSftLoss();
        var e = Assert.ThrowsExactly<ArgumentException>(() => loss.ComputeFromHidden(TorchOps.Zeros([2, 5, 8]), TorchOps.Zeros([11, 4]), TorchOps.Zeros([2, 5], ScalarType.Int64), null));
        StringAssert.Contains(e.Message, "head [11, 4]");
    }

    [TestMethod]
    public void EffectiveMask_TensorAndSpanForms_AgreeOnEveryCombination()
    {
        using var scope = new DisposeScope();
        long[] targets = [5, -100, 7, 0, -100, 3, 9, 1];
        float[] mask = [1, 1, 0, 2, 0, 0.5f, 0, 1];
        var onDevice = EffectiveMask.Of(Tensor.FromArray(targets, 2, 4), Tensor.FromArray(mask, 2, 4), -100).ToArray<bool>();
        var onHost = Enumerable.Range(0, targets.Length).Select(i => EffectiveMask.IsSupervisedAt(targets, mask, i, -100)).ToArray();
        CollectionAssert.AreEqual(new[] { true, false, false, true, false, true, false, true }, onDevice);
        CollectionAssert.AreEqual(onDevice, onHost);
        Assert.AreEqual(4, EffectiveMask.Count(targets, mask, -100));
        Assert.AreEqual(6, EffectiveMask.Count(targets, [], -100), "no loss mask: every target but the ignore index");
        CollectionAssert.AreEqual(targets.Select(t => t != -100).ToArray(), EffectiveMask.Of(Tensor.FromArray(targets), null, -100).ToArray<bool>());
        Assert.ThrowsExactly<ArgumentException>(() => EffectiveMask.Count(targets, [1f, 0f], -100));
        Assert.ThrowsExactly<ArgumentException>(() => EffectiveMask.Of(Tensor.FromArray(targets, 2, 4), TorchOps.Ones([4, 2]), -100));
    }
}
