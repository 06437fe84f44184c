// Log-probs of sequences: chunked projection equal to full logits, padding-independent, gradients kept when asked for.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class SequenceLogProbsTests
{
    [TestMethod]
    public void Compute_Chunked_EqualsLogSoftmaxOfFullLogits()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 3, 10, 4);
        var logits = model.Forward(ids).LogSoftmax(-1);                                                // (B, T, V)
        var expected = logits.Narrow(1, 0, 9).Gather(2, ids.Narrow(1, 1, 9).Unsqueeze(2)).Squeeze(2); // (B, T-1)
        foreach (var chunk in new[] { 1, 5, 1000 })
        {
            var got = SequenceLogProbs.Compute(model, ids, chunkSize: chunk);
            CollectionAssert.AreEqual(new long[] { 3, 9 }, got.Shape);
            Assert.IsTrue(SmallPretrainedModels.MaxDiff(expected, got) < 1e-5, $"chunk {chunk}");
        }
    }

    [TestMethod]
    public void Compute_RaggedSequences_EqualOneByOneAndZeroOnPadding()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3);
        int[][] sequences = [[1, 5, 9, 2, 44], [3, 8], [7, 7, 7, 30, 31, 32, 33, 0]];
        var batched = SequenceLogProbs.Compute(model, sequences, batchSize: 3);
        for (var i = 0; i < sequences.Length; i++)
        {
            var alone = SequenceLogProbs.Compute(model, [sequences[i]])[0];
            Assert.AreEqual(sequences[i].Length - 1, batched[i].Length);
            for (var j = 0; j < alone.Length; j++) Assert.AreEqual(alone[j], batched[i][j], 2e-5, $"sequence {i} position {j}");
        }

        var (ids, mask) = PaddedBatch.Build(sequences, padId: 4, leftPadding: true);
        var left = SequenceLogProbs.Compute(model, ids, mask).ToArray<float>();                          // (3, 7)
        Assert.AreEqual(0f, left[0], "left padding: the first slots of row 0 give 0");
        for (var j = 0; j < 4; j++) Assert.AreEqual(batched[0][j], left[3 + j], 2e-5, "left padding equals right padding");
    }

    [TestMethod]
    public void Compute_WithGradients_BackpropagatesToParameters()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        var ids = SmallPretrainedModels.Tokens(model.VocabSize, 2, 6, 5);
        var logProbs = SequenceLogProbs.Compute(model, ids, chunkSize: 4);
        logProbs.Sum().Backward();
        Assert.IsTrue(model.NamedParameters().All(p => p.Parameter.Grad is not null && p.Parameter.Grad.Abs().Sum().Item<float>() > 0), "every parameter gets a gradient");
    }

    [TestMethod]
    public void Compute_TooShort_ThrowsWithIndex()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        var e = Assert.ThrowsExactly<ArgumentException>(() => SequenceLogProbs.Compute(model, [[1, 2], [3]]));
        StringAssert.Contains(e.Message, "sequence 1 has 1 tokens");
    }

    [TestMethod]
    public void Compute_LeaksNoTensors()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        SequenceLogProbs.Compute(model, [[1, 2, 3]]);
        TensorLeakAssert.LeaksNothing(() => SequenceLogProbs.Compute(model, [[1, 2, 3, 4], [5, 6]], chunkSize: 2), "log-probs");
    }
}
