// Generation through the KV cache: greedy equal to argmax over full passes, batched equal to one by one, eos stopping,
// seeded sampling, top-k/top-p limits, log-probs of the chosen tokens.
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class CausalLmGeneratorTests
{
    [TestMethod]
    [DataRow("llama")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void Generate_Greedy_EqualsArgmaxOfFullPassesWithoutCache(string name)
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Named(name));
        int[] prompt = [4, 9, 11, 20];
        var result = CausalLmGenerator.Generate(model, [prompt], new DecodingOptions { MaxNewTokens = 10, EosTokenIds = [] })[0];
        var sequence = prompt.ToList();
        var expectedLogProbs = new List<float>();
        using var scope = new DisposeScope();
        for (var step = 0; step < 10; step++)
        {
            var logits = model.Forward(Tensor.FromArray(sequence.Select(v => (long)v).ToArray(), 1, sequence.Count)).Select(1, sequence.Count - 1); // (1, V)
            var next = (int)logits.Argmax(-1).Item<long>();
            expectedLogProbs.Add(logits.LogSoftmax(-1).Select(1, next).Item<float>());
            sequence.Add(next);
        }

        CollectionAssert.AreEqual(sequence.Skip(prompt.Length).ToArray(), result.TokenIds);
        Assert.IsFalse(result.StoppedAtEos);
        for (var i = 0; i < 10; i++) Assert.AreEqual(expectedLogProbs[i], result.LogProbs[i], 1e-5);
    }

    [TestMethod]
    public void Generate_BatchedLeftPaddedPrompts_SameAsOneByOne()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        int[][] prompts = [[1, 2, 3, 4, 5, 6, 7], [8], [9, 10, 11]];
        var options = new DecodingOptions { MaxNewTokens = 8, EosTokenIds = [] };
        var batched = CausalLmGenerator.Generate(model, prompts, options);
        for (var i = 0; i < prompts.Length; i++)
        {
            CollectionAssert.AreEqual(CausalLmGenerator.Generate(model, [prompts[i]], options)[0].TokenIds, batched[i].TokenIds, $"prompt {i}");
        }

        var sampling = options with { DoSample = true, Temperature = 1.3, Seed = 5 };
        var sampled = CausalLmGenerator.Generate(model, prompts, sampling);
        CollectionAssert.AreEqual(sampled[1].TokenIds, CausalLmGenerator.Generate(model, prompts, sampling)[1].TokenIds, "same seed, same samples");
    }

    [TestMethod]
    public void Generate_EosIds_RowStopsAndKeepsEosOthersContinue()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3);
        int[][] prompts = [[3, 4, 5], [6, 7, 8, 9]];
        var free = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 6, EosTokenIds = [] });
        var stop = free[0].TokenIds[2];                                           // row 0's third token becomes an eos id
        var stopped = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 6, EosTokenIds = [stop, 46] });
        var firstStop = Array.IndexOf(free[0].TokenIds, stop);
        CollectionAssert.AreEqual(free[0].TokenIds.Take(firstStop + 1).ToArray(), stopped[0].TokenIds);
        Assert.IsTrue(stopped[0].StoppedAtEos);
        var row1Stop = Array.FindIndex(free[1].TokenIds, t => t == stop || t == 46);
        CollectionAssert.AreEqual(row1Stop < 0 ? free[1].TokenIds : free[1].TokenIds.Take(row1Stop + 1).ToArray(), stopped[1].TokenIds);
    }

    [TestMethod]
    public void Generate_TopKOneOrTinyTopP_EqualsGreedy()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        int[][] prompts = [[1, 2, 3], [4, 5]];
        var greedy = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 6, EosTokenIds = [] });
        var topK = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 6, EosTokenIds = [], DoSample = true, TopK = 1, Seed = 3 });
        var topP = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 6, EosTokenIds = [], DoSample = true, TopP = 1e-6, Seed = 4 });
        for (var i = 0; i < prompts.Length; i++)
        {
            CollectionAssert.AreEqual(greedy[i].TokenIds, topK[i].TokenIds, "top-k 1");
            CollectionAssert.AreEqual(greedy[i].TokenIds, topP[i].TokenIds, "top-p near 0 keeps only the most likely token");
        }
    }

    [TestMethod]
    public void Generate_TopKSampling_OnlyTopKTokensDrawn()
    {
        using var scope = new DisposeScope();
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen3);
        int[] prompt = [5, 6, 7];
        var logits = model.Forward(Tensor.FromArray(prompt.Select(v => (long)v).ToArray(), 1, 3)).Select(1, 2);  // (1, V)
        var top3 = logits.TopK(3).Indices.ToArray<long>().Select(v => (int)v).ToHashSet();
        var prompts = Enumerable.Repeat((IReadOnlyList<int>)prompt, 64).ToList();
        var drawn = CausalLmGenerator.Generate(model, prompts, new DecodingOptions { MaxNewTokens = 1, EosTokenIds = [], DoSample = true, TopK = 3, Temperature = 5, Seed = 9 })
            .Select(r => r.TokenIds[0]).ToHashSet();
        Assert.IsTrue(drawn.IsSubsetOf(top3), $"drawn {string.Join(",", drawn)} not within top-3 {string.Join(",", top3)}");
        Assert.IsTrue(drawn.Count >= 2, "a high temperature spreads the draws over the top-k");
    }

    [TestMethod]
    public void Generate_ZeroNewTokensOrTooLong_EmptyOrClearError()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.Qwen2Tied);
        Assert.AreEqual(0, CausalLmGenerator.Generate(model, [[1, 2]], DecodingOptions.Greedy(0))[0].TokenIds.Length);
        var e = Assert.ThrowsExactly<ArgumentException>(() => CausalLmGenerator.Generate(model, [[1, 2]], DecodingOptions.Greedy(63)));
        StringAssert.Contains(e.Message, "exceeds the model's 64 positions");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => CausalLmGenerator.Generate(model, [[1]], new DecodingOptions { DoSample = true, TopP = 0 }));
    }

    [TestMethod]
    public void Generate_RestoresTrainingModeAndLeaksNoTensors()
    {
        using var model = SmallPretrainedModels.Create(SmallPretrainedModels.LlamaGqa);
        model.Train();
        CausalLmGenerator.Generate(model, [[1, 2, 3]], DecodingOptions.Greedy(2));
        Assert.IsTrue(model.IsTraining);
        TensorLeakAssert.LeaksNothing(() =>
        {
            CausalLmGenerator.Generate(model, [[1, 2, 3], [4]], new DecodingOptions { MaxNewTokens = 4, DoSample = true, TopK = 5, TopP = 0.9 });
        }, "generation");
    }
}
