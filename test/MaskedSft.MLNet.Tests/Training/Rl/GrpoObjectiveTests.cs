// GrpoObjective and WeightedSftRlObjective on RlBatches: accumulation equals one batch, weighted SFT equals SftObjective.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training.Rl;

[TestClass]
[DoNotParallelize]
public sealed class GrpoObjectiveTests
{
    private static readonly (int Group, IReadOnlyList<int> Prompt, GeneratedSequence Completion, double Score)[] Rows =
    [
        (0, [1, 2], new GeneratedSequence([5, 5, 3], true, [-0.4f, -1.1f, -2.0f]), 1.0),
        (0, [1, 2], new GeneratedSequence([4], false, [-1.7f]), 0.0),
        (1, [3, 1, 6], new GeneratedSequence([5, 2, 2, 7], false, [-0.9f, -2.2f, -1.3f, -0.6f]), 0.5),
        (1, [3, 1, 6], new GeneratedSequence([6, 5], true, [-1.0f, -0.3f]), 0.25),
    ];

    [TestMethod]
    [DataRow(GrpoAggregation.Grpo)]
    [DataRow(GrpoAggregation.Dapo)]
    [DataRow(GrpoAggregation.DrGrpo)]
    public void Compute_TwoMicroBatches_GiveTheGradientOfOneBatch(GrpoAggregation aggregation)
    {
        using var scope = new DisposeScope();
        using var model = OnPolicyGrpoTests.ToyModel(seed: 21);
        var options = new GrpoLossOptions { Aggregation = aggregation, MaxCompletionLength = 6, EpsilonHigh = 0.28 };
        var whole = Batch(Rows);
        var first = Batch(Rows[..2]);
        var second = Batch(Rows[2..]);
        // the advantages of the whole batch, copied row by row so both windows train the same targets
        Copy(whole, first, 0);
        Copy(whole, second, 2);
        var one = Gradients(model, new GrpoObjective(model, options), [whole]);
        var two = Gradients(model, new GrpoObjective(model, options), [first, second]);
        Assert.AreEqual(one.Length, two.Length);
        for (var i = 0; i < one.Length; i++) Assert.AreEqual(one[i], two[i], 1e-5 * Math.Max(1, Math.Abs(one[i])), $"gradient element {i}");
        Assert.IsTrue(one.Any(g => g != 0));
    }

    [TestMethod]
    public void WeightedSftRlObjective_SameRows_EqualsSftObjectiveOnAnEpisodeBatch()
    {
        using var scope = new DisposeScope();
        using var model = OnPolicyGrpoTests.ToyModel(seed: 22);
        var rl = Batch(Rows);
        var episode = new EpisodeBatch(rl.Rows, rl.Length, hasLossMask: true, hasAdvantages: true);
        episode.Reset(rl.Rows);
        for (var r = 0; r < rl.Rows; r++)
            episode.SetRow(r, rl.Row(rl.InputIds, r), rl.Row(rl.TargetIds, r), rl.Row(rl.LossMask, r), rl.Row(rl.Advantages, r), rl.TargetCounts[r]);
        var options = new WeightedSftLossOptions { Aggregation = LossAggregation.SequenceMeanTokenMean };
        var rlObjective = new WeightedSftRlObjective(model, options);
        var sftObjective = new SftObjective(model, options);
        Assert.AreEqual(sftObjective.PrepareStep([episode]), rlObjective.PrepareStep([rl]));
        var a = rlObjective.Compute(rl);
        var b = sftObjective.Compute(episode);
        Assert.AreEqual(b.Loss.Item<float>(), a.Loss.Item<float>(), 1e-6f);
        CollectionAssert.AreEqual(b.RowLoss.ToArray<float>(), a.RowLoss.ToArray<float>());
    }

    [TestMethod]
    public void Compute_KlWithoutAnyReference_SaysHowToProvideOne()
    {
        using var scope = new DisposeScope();
        using var model = OnPolicyGrpoTests.ToyModel();
        var objective = new GrpoObjective(model, new GrpoLossOptions { KlBeta = 0.1 });
        var batch = Batch(Rows);
        objective.PrepareStep([batch]);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => objective.Compute(batch));
        StringAssert.Contains(e.Message, "LoRA");
    }

    private static RlBatch Batch(IReadOnlyList<(int, IReadOnlyList<int>, GeneratedSequence, double)> rows)
    {
        var batch = RolloutBatchBuilder.Build(rows);
        GroupAdvantageFill.Apply(batch, RewardScaling.Group);
        return batch;
    }

    private static void Copy(RlBatch from, RlBatch to, int firstRow)
    {
        for (var r = 0; r < to.Rows; r++)
        {
            var source = from.Row(from.Advantages, firstRow + r);
            var target = to.Row(to.Advantages, r);
            for (var t = 0; t < to.Length; t++) target[t] = source[t];
        }
    }

    private static float[] Gradients(PretrainedCausalLm model, GrpoObjective objective, IReadOnlyList<RlBatch> window)
    {
        foreach (var p in model.Parameters()) p.ZeroGrad();
        objective.PrepareStep(window);
        foreach (var batch in window)
        {
            using var inner = new DisposeScope();
            objective.Compute(batch).Loss.Backward();
        }

        return model.Parameters().SelectMany(p => p.Grad is { } g ? g.ToArray<float>() : new float[p.NumberOfElements]).ToArray();
    }
}
