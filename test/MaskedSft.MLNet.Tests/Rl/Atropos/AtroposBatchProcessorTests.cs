// AtroposBatchProcessor: alignment to targets, masks, advantages (token level, from scores, zeroed), temperatures,
// inference log-probs, padding, micro-batches, and errors that name the group and field.
using System.Text.Json.Nodes;
using MaskedSft.MLNet.Rl.Atropos;
using MaskedSft.MLNet.Training.Rl;

namespace MaskedSft.MLNet.Tests.Rl.Atropos;

[TestClass]
public sealed class AtroposBatchProcessorTests
{
    private const int M = AtroposBatchProcessor.MaskedValue;

    private static AtroposScoredData Group(int[][] tokens, int prompt, double[] scores) => new()
    {
        Tokens = tokens,
        Masks = tokens.Select(t => t.Select((id, i) => i < prompt ? M : id).ToArray()).ToArray(),
        Scores = scores,
    };

    [TestMethod]
    public void Process_AlignsTokensMasksAndScoreAdvantagesToTargets()
    {
        var group = Group([[5, 6, 7, 8, 9], [5, 6, 3]], prompt: 2, scores: [1.0, 0.0]);
        var batch = new AtroposBatchProcessor(new AtroposProcessorOptions { PadId = 2 }).Process([group]).Single();

        Assert.AreEqual(2, batch.Rows);
        Assert.AreEqual(4, batch.Length, "T = longest - 1");
        CollectionAssert.AreEqual(new long[] { 5, 6, 7, 8 }, batch.Row(batch.InputIds, 0).ToArray());
        CollectionAssert.AreEqual(new long[] { 6, 7, 8, 9 }, batch.Row(batch.TargetIds, 0).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, 1, 1, 1 }, batch.Row(batch.LossMask, 0).ToArray(), "masks[t+1] != -100");
        CollectionAssert.AreEqual(new long[] { 5, 6, 2, 2 }, batch.Row(batch.InputIds, 1).ToArray(), "pad id");
        CollectionAssert.AreEqual(new long[] { 6, 3, RlBatch.IgnoreIndex, RlBatch.IgnoreIndex }, batch.Row(batch.TargetIds, 1).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, 1, 0, 0 }, batch.Row(batch.LossMask, 1).ToArray());
        // group normalization: mean 0.5, population std 0.5 -> +1 and -1, written at trained positions only
        CollectionAssert.AreEqual(new float[] { 0, 1, 1, 1 }, batch.Row(batch.Advantages, 0).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, -1, 0, 0 }, batch.Row(batch.Advantages, 1).ToArray());
        CollectionAssert.AreEqual(new[] { 4, 2 }, batch.TargetCounts);
        CollectionAssert.AreEqual(new[] { 2, 2 }, batch.PromptLengths);
        CollectionAssert.AreEqual(new[] { 0, 0 }, batch.GroupIds);
        CollectionAssert.AreEqual(new float[] { 1, 0 }, batch.Scores);
        Assert.IsFalse(batch.HasOldLogProbs);
        batch.Validate();
    }

    [TestMethod]
    public void Process_TokenAdvantagesShiftedZeroOverrideTemperaturesByPriority()
    {
        var tokens = new[] { new[] { 1, 2, 3, 4 }, new[] { 1, 2, 3, 4 }, new[] { 1, 2, 3, 4 } };
        var group = Group(tokens, prompt: 1, scores: [0.2, 0.4, 0.6]) with
        {
            Advantages = [[9, 0.5, 1.5, 2.5], [9, 1, 1, 1], [9, 3, 3, 3]],
            Overrides = [new JsonObject { ["temperature"] = 0.7 }, new JsonObject { ["set_advantage_to_zero"] = true }, null],
            GenerationParams = new JsonObject { ["temperature"] = 0.9 },
            GroupOverrides = new JsonObject { ["temperature"] = 0.5 },
        };
        var second = Group([[1, 2, 3]], prompt: 1, scores: [3.0]) with { GroupOverrides = new JsonObject { ["temperature"] = 0.5 } };
        var batch = new AtroposBatchProcessor().Process([group, second]).Single();

        CollectionAssert.AreEqual(new float[] { 0.5f, 1.5f, 2.5f }, batch.Row(batch.Advantages, 0).ToArray(), "advantages[t+1]");
        CollectionAssert.AreEqual(new float[] { 0, 0, 0 }, batch.Row(batch.Advantages, 1).ToArray(), "set_advantage_to_zero");
        CollectionAssert.AreEqual(new float[] { 0.7f, 0.9f, 0.9f, 0.5f }, batch.Temperatures, "override > generation_params > group_overrides");
        CollectionAssert.AreEqual(new float[] { 3, 3 }, batch.Row(batch.Advantages, 3)[..2].ToArray(), "a group of one keeps its raw score");
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1 }, batch.GroupIds);
    }

    [TestMethod]
    public void Process_InferenceLogProbsShiftedPadToMultipleAndMicroBatches()
    {
        var group = Group([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3]], prompt: 2, scores: [1, 2, 3]) with
        {
            InferenceLogProbs = [[1, 1, -0.5, -0.25], [1, 1, -1, -2], [1, 1, -3]],
            RefLogProbs = [[0, 0, -0.4, -0.2], [0, 0, -0.9, -1.9], [0, 0, -2.9]],
        };
        var batches = new AtroposBatchProcessor(new AtroposProcessorOptions { PadToMultiple = 8 }).Process([group], rowsPerMicroBatch: 2);

        Assert.HasCount(2, batches);
        Assert.AreEqual(2, batches[0].Rows);
        Assert.AreEqual(1, batches[1].Rows);
        Assert.IsTrue(batches.All(b => b.Length == 8), "3 targets rounded up to 8");
        var first = batches[0];
        CollectionAssert.AreEqual(new float[] { 0, -0.5f, -0.25f, 0, 0, 0, 0, 0 }, first.Row(first.OldLogProbs!, 0).ToArray(), "inference_logprobs[t+1] at trained positions");
        CollectionAssert.AreEqual(new float[] { 0, -0.4f, -0.2f, 0, 0, 0, 0, 0 }, first.Row(first.ReferenceLogProbs!, 0).ToArray());
        CollectionAssert.AreEqual(new float[] { 0, -3f, 0, 0, 0, 0, 0, 0 }, batches[1].Row(batches[1].OldLogProbs!, 0).ToArray());
        foreach (var b in batches) b.Validate();
    }

    [TestMethod]
    public void Process_TruncatesWhenAskedAndMarksTheRow()
    {
        var group = Group([[1, 2, 3, 4, 5, 6], [1, 2, 3]], prompt: 1, scores: [1, 0]);
        var batch = new AtroposBatchProcessor(new AtroposProcessorOptions { MaxLength = 4, TruncateLongSequences = true }).Process([group]).Single();
        Assert.AreEqual(3, batch.Length);
        CollectionAssert.AreEqual(new[] { true, false }, batch.Truncated);
        CollectionAssert.AreEqual(new long[] { 2, 3, 4 }, batch.Row(batch.TargetIds, 0).ToArray());
    }

    [TestMethod]
    public void Process_BadInput_ErrorsNameTheGroupSequenceAndField()
    {
        var ok = Group([[1, 2, 3]], prompt: 1, scores: [1]);
        var processor = new AtroposBatchProcessor(new AtroposProcessorOptions { MaxLength = 4, VocabSize = 10 });
        (AtroposScoredData Group, string Expected)[] cases =
        [
            (ok with { Masks = [[M, 2]] }, "group 1, sequence 0: 'masks' has 2 positions, 'tokens' 3"),
            (ok with { Masks = [[M, 7, 3]] }, "group 1, sequence 0, position 1: 'masks' holds 7"),
            (ok with { Scores = [1, 2] }, "group 1: 'scores' has 2 values"),
            (ok with { Tokens = [[1, 2, 30]], Masks = [[M, 2, 30]] }, "position 2: token id 30 is outside the vocabulary"),
            (Group([[1, 2, 3, 4, 5]], 1, [1]), "5 tokens exceed the maximum length 4"),
            (ok with { Advantages = [[1, 2]] }, "'advantages' has 2 positions, 'tokens' 3"),
            (ok with { InferenceLogProbs = [[1, 1.0, -1]] }, "position 1: 'masks' trains the token but 'inference_logprobs' holds 1"),
            (ok with { Overrides = [new JsonObject { ["temperature"] = -1 }] }, "overrides[0].temperature is -1"),
            (ok with { Scores = [double.NaN] }, "score NaN is not finite"),
            (ok with { Tokens = [[1]], Masks = [[M]] }, "a sequence needs at least 2"),
        ];
        foreach (var (bad, expected) in cases)
        {
            var first = bad.InferenceLogProbs is null ? ok : ok with { InferenceLogProbs = [[1, -1, -1]] }; // old log-probs are carried when every group has them
            var e = Assert.ThrowsExactly<InvalidDataException>(() => processor.Process([first, bad]), expected);
            StringAssert.Contains(e.Message, expected);
        }
    }
}
