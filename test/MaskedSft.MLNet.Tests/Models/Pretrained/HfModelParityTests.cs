// Parity with transformers on the committed tiny model folders: log-probs within 1e-4 in float32, greedy generations
// identical (single prompts and the left-padded batch), both config styles, every on-disk dtype, sharded and tied.
using System.Text.Json;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

[TestClass]
[DoNotParallelize]
public sealed class HfModelParityTests
{
    private const double LogProbTolerance = 1e-4;

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("llama-gqa-sharded-v4config")]
    [DataRow("llama-mqa-tied-linear")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void SequenceLogProbs_Fixture_MatchTransformersWithin1e4(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(fixture));
        Assert.AreEqual(ScalarType.Float32, model.DType);
        var cases = reference.RootElement.GetProperty("logprobs").EnumerateArray().ToList();
        var sequences = cases.Select(c => (IReadOnlyList<int>)HfModelFixtures.Ints(c.GetProperty("ids"))).ToList();
        var batched = SequenceLogProbs.Compute(model, sequences, batchSize: 4, chunkSize: 7);   // padded rows, several chunks
        for (var i = 0; i < cases.Count; i++)
        {
            var expected = HfModelFixtures.Doubles(cases[i].GetProperty("logprobs"));
            var alone = SequenceLogProbs.Compute(model, [sequences[i]])[0];
            Assert.AreEqual(expected.Length, batched[i].Length);
            var worst = expected.Select((e, j) => Math.Max(Math.Abs(e - batched[i][j]), Math.Abs(e - alone[j]))).Max();
            Assert.IsTrue(worst < LogProbTolerance, $"{fixture}/{cases[i].GetProperty("name").GetString()}: max |Δ| = {worst:E2}");
        }
    }

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("llama-mqa-tied-linear")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void Generate_GreedySinglePrompts_SameIdsAsTransformers(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(fixture));
        var generation = reference.RootElement.GetProperty("generation");
        CollectionAssert.AreEquivalent(HfModelFixtures.Ints(generation.GetProperty("eos_token_id")), model.GenerationConfig.EosTokenIds.ToArray());
        var options = DecodingOptions.FromGenerationConfig(model.GenerationConfig, generation.GetProperty("max_new_tokens").GetInt32());
        foreach (var single in generation.GetProperty("single").EnumerateArray())
        {
            var name = single.GetProperty("name").GetString();
            var result = CausalLmGenerator.Generate(model, [HfModelFixtures.Ints(single.GetProperty("prompt_ids"))], options)[0];
            CollectionAssert.AreEqual(HfModelFixtures.Ints(single.GetProperty("new_ids")), result.TokenIds, $"{fixture}/{name}");
            Assert.AreEqual(single.GetProperty("stopped_at_eos").GetBoolean(), result.StoppedAtEos, $"{fixture}/{name}");
        }
    }

    [TestMethod]
    [DataRow("llama-gqa-sharded")]
    [DataRow("llama-mqa-tied-linear")]
    [DataRow("qwen2")]
    [DataRow("qwen3")]
    public void Generate_GreedyLeftPaddedBatch_SameIdsAsTransformersAndAsUnpadded(string fixture)
    {
        using var reference = HfModelFixtures.Reference(fixture);
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(fixture));
        var generation = reference.RootElement.GetProperty("generation");
        var batch = generation.GetProperty("batch_left_padded");
        var prompts = batch.GetProperty("prompts").EnumerateArray().Select(p => (IReadOnlyList<int>)HfModelFixtures.Ints(p)).ToList();
        var options = DecodingOptions.FromGenerationConfig(model.GenerationConfig, generation.GetProperty("max_new_tokens").GetInt32());
        var batched = CausalLmGenerator.Generate(model, prompts, options);
        var expected = batch.GetProperty("new_ids").EnumerateArray().Select(HfModelFixtures.Ints).ToList();
        for (var r = 0; r < prompts.Count; r++)
        {
            var alone = CausalLmGenerator.Generate(model, [prompts[r]], options)[0];
            CollectionAssert.AreEqual(alone.TokenIds, batched[r].TokenIds, $"{fixture} row {r}: batched != unpadded");
            CollectionAssert.AreEqual(expected[r], batched[r].TokenIds, $"{fixture} row {r}: != transformers");
        }

        using var scope = new DisposeScope();
        var width = batch.GetProperty("input_ids")[0].GetArrayLength();
        var ids = Tensor.FromArray(batch.GetProperty("input_ids").EnumerateArray().SelectMany(HfModelFixtures.Ints).Select(v => (long)v).ToArray(), prompts.Count, width);
        var mask = Tensor.FromArray(batch.GetProperty("attention_mask").EnumerateArray().SelectMany(HfModelFixtures.Ints).Select(v => (long)v).ToArray(), prompts.Count, width);
        using var fromTensors = CausalLmGenerator.Generate(model, ids, mask, options);
        var rows = fromTensors.ToSequences(model.GenerationConfig.EosTokenIds);
        for (var r = 0; r < prompts.Count; r++) CollectionAssert.AreEqual(expected[r], rows[r].TokenIds, $"{fixture} row {r} (tensor input with transformers' padding)");
    }

    [TestMethod]
    public void Load_BothConfigStyles_SameConfigAndWeights()
    {
        var v5 = PretrainedLmConfig.Load(HfModelFixtures.Folder("llama-gqa-sharded"));
        var v4 = PretrainedLmConfig.Load(HfModelFixtures.Folder("llama-gqa-sharded-v4config"));
        Assert.AreEqual(v5 with { Source = null, EosTokenIds = [] }, v4 with { Source = null, EosTokenIds = [] });
        CollectionAssert.AreEqual(v5.EosTokenIds.ToArray(), v4.EosTokenIds.ToArray());
        Assert.AreEqual(new RopeParameters { Type = RopeType.Llama3, Theta = 500000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 64 }, v5.Rope);
        Assert.AreEqual(ScalarType.BFloat16, v5.TorchDType);
        Assert.AreEqual(16, v5.HeadDim);
        Assert.AreEqual(2, v5.NumKeyValueHeads);
    }

    [TestMethod]
    public void Load_FixtureFolders_DtypesShardsAndTiedHeads()
    {
        using (var sharded = PretrainedCausalLm.Load(HfModelFixtures.Folder("llama-gqa-sharded")))
        {
            Assert.AreEqual(0, sharded.UnusedCheckpointTensors.Count);
            Assert.IsTrue(sharded.NamedParameters().Any(p => p.Name == "lm_head.weight"));
            Assert.IsFalse(sharded.IsTraining, "a loaded model starts in evaluation mode");
        }

        using (var tied = PretrainedCausalLm.Load(HfModelFixtures.Folder("llama-mqa-tied-linear")))
        {
            Assert.IsFalse(tied.NamedParameters().Any(p => p.Name == "lm_head.weight"));
            Assert.AreEqual(1, tied.Config.NumKeyValueHeads);
            Assert.AreEqual(RopeType.Linear, tied.Config.Rope.Type);
        }

        using var qwen3 = PretrainedCausalLm.Load(HfModelFixtures.Folder("qwen3"), new PretrainedModelOptions { DType = ScalarType.BFloat16 });
        Assert.AreEqual(ScalarType.Float16, qwen3.Config.TorchDType, "qwen3 is stored in float16");
        Assert.AreEqual(ScalarType.BFloat16, qwen3.DType, "the compute dtype is the caller's");
        Assert.AreEqual(32, qwen3.Config.HeadDim);
    }

    [TestMethod]
    [DataRow("qwen3")]
    [DataRow("llama-gqa-sharded")]
    public void Save_Reload_SameParametersConfigAndLogProbs(string fixture)
    {
        var target = Directory.CreateTempSubdirectory("maskedsft-save-").FullName;
        try
        {
            using var scope = new DisposeScope();
            using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder(fixture));
            PretrainedModelWriter.Save(model, target, maxShardBytes: 200_000);   // several shards + index
            Assert.IsTrue(File.Exists(Path.Combine(target, "model.safetensors.index.json")));
            Assert.IsTrue(Directory.GetFiles(target, "model-0000*-of-*.safetensors").Length >= 2);
            using var again = PretrainedCausalLm.Load(target);
            Assert.AreEqual(model.Config with { Source = null, TorchDType = null, EosTokenIds = [] }, again.Config with { Source = null, TorchDType = null, EosTokenIds = [] });
            Assert.AreEqual(ScalarType.Float32, again.Config.TorchDType, "the saved dtype is the compute dtype");
            CollectionAssert.AreEqual(model.GenerationConfig.EosTokenIds.ToArray(), again.GenerationConfig.EosTokenIds.ToArray());
            foreach (var ((name, a), (_, b)) in model.NamedParameters().Zip(again.NamedParameters()))
            {
                Assert.AreEqual(0.0, SmallPretrainedModels.MaxDiff(a, b), name);
            }

            model.Save(target);                                                    // one file: the stale shards go
            Assert.IsTrue(File.Exists(Path.Combine(target, "model.safetensors")));
            Assert.IsFalse(File.Exists(Path.Combine(target, "model.safetensors.index.json")));
            var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(target, "config.json"))).RootElement;
            foreach (var key in new[] { "rope_theta", "rope_parameters", "rope_scaling", "torch_dtype", "dtype", "head_dim" })
            {
                Assert.IsTrue(json.TryGetProperty(key, out _), $"config.json lacks {key}");
            }
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }
}
