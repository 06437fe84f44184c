// Fine-tuning a model folder through the Trainer: LoRA (only adapters reach the optimizer) learns a masked pattern with
// the base bit-identical and masked positions gradient-free; exact resume for LoRA and full fine-tuning; the saved
// Hugging Face folder loads again with the same log-probs.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tokenizers;
using MaskedSft.MLNet.Training;
using MaskedSft.Testing;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class PretrainedFineTuneTests
{
    private static readonly string[] AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    private static TrainerOptions Options(int steps, string output) => new()
    {
        MaxSteps = steps, BatchSize = 8, BlockSize = 64, WarmupSteps = 2, LearningRate = 5e-3, MinLearningRate = 5e-3, WeightDecay = 0.0,
        LogInterval = 1, EvalInterval = 0, CheckpointInterval = 0, HardExamples = null, Seed = 5, OutputDirectory = output,
    };

    [TestMethod]
    public void Train_LoraOnQwen2ThroughTrainer_LearnsMaskedReplyBaseBitIdenticalMaskedPositionsGetNoGradient()
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        using var dataset = EpisodeDataset.Open(FineTuneFixture.Prepare(temp, folder));
        var baseModel = PretrainedCausalLm.Load(folder);
        var baseBefore = baseModel.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using var model = LoraCausalLm.Create(baseModel, new LoraConfig { TargetModules = ModuleSelector.FromNames(AllProjections), Rank = 8, Alpha = 16 }, seed: 12);
        Assert.IsTrue(model.NamedParameters().All(p => p.Name.Contains(".lora_", StringComparison.Ordinal)), "only adapters are the trainer's parameters");

        TrainingResult result;
        using (var trainer = new Trainer(model, dataset, Options(30, temp.Combine("run"))))
        {
            result = trainer.Run();
        }

        var losses = result.Metrics.Select(m => m.Loss).ToList();
        Assert.IsTrue(losses.TakeLast(5).Average() < 0.1 * losses[0], $"the masked loss falls clearly: {string.Join(" ", losses.Select(l => l.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        foreach (var (name, p) in baseModel.NamedParameters())
        {
            CollectionAssert.AreEqual(baseBefore[name], p.ToArray<float>(), $"base parameter {name} is bit-identical after training");
            Assert.IsNull(p.Grad, $"{name} never got a gradient");
        }

        model.Train(false);
        var report = LossMaskChecks.RunAll(LogitsModel.Create(model.VocabSize, model.Forward, model.TrainableParameters()));
        Assert.IsTrue(report.AllPassed, report.ToTable());
        var gradient = report.Results.Single(r => r.Name == LossMaskChecks.GradientCheckName);
        Assert.AreEqual(0.0, gradient.Measured["max_abs_logit_grad_masked"]);
        Assert.AreEqual(0.0, gradient.Measured["max_param_grad_change"]);

        // The trained reply comes out of greedy generation through the KV cache; the base alone does not produce it.
        var tokenizer = ModelFolderTokenizer.Load(folder);
        var prompt = tokenizer.RequireChatTemplate().Render([new("system", "Be brief."), new("user", "green river stone")], tokenizer.Tokenizer, new() { AddGenerationPrompt = true }).Ids;
        var tokens = dataset.GetEpisodeTokens(0);
        var mask = dataset.GetEpisodeMask(0);
        var reply = tokens.Where((_, i) => mask[i] != 0).TakeWhile(t => !tokenizer.EndOfSequenceIds.Contains(t)).ToArray();   // the reply's ids
        Assert.IsTrue(reply.Length >= 2, $"reply ids {string.Join(",", reply)}");
        var generated = CausalLmGenerator.Generate(model, [prompt], DecodingOptions.Greedy(reply.Length) with { EosTokenIds = [] })[0].TokenIds;
        CollectionAssert.AreEqual(reply, generated.ToArray(), "greedy generation gives the trained reply");
        using (model.Adapters.DisableAdapters())
        {
            CollectionAssert.AreNotEqual(reply, CausalLmGenerator.Generate(model, [prompt], DecodingOptions.Greedy(reply.Length) with { EosTokenIds = [] })[0].TokenIds.ToArray(), "the base alone does not");
        }
    }

    [TestMethod]
    [DataRow(true, DisplayName = "LoRA with dropout")]
    [DataRow(false, DisplayName = "full fine-tuning")]
    public void LoadCheckpoint_FreshObjects_ContinuesBitForBit(bool lora)
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        using var dataset = EpisodeDataset.Open(FineTuneFixture.Prepare(temp, folder));
        ICausalLm Build()
        {
            var model = PretrainedCausalLm.Load(folder);
            model.GradientCheckpointing = true;
            return lora
                ? LoraCausalLm.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "v_proj", "down_proj"), Rank = 4, Alpha = 8, Dropout = 0.1 }, seed: 3)
                : model;
        }

        var options = Options(6, temp.Combine("straight")) with { LearningRate = 1e-3, MinLearningRate = null, GradientAccumulationSteps = 2, BatchSize = 4 };
        using var straightModel = Build();
        using (var straight = new Trainer(straightModel, dataset, options))
        {
            straight.Run();
        }

        string checkpoint;
        var resumedDir = temp.Combine("resumed");
        using (var firstModel = Build())
        using (var first = new Trainer(firstModel, dataset, options with { OutputDirectory = resumedDir }))
        {
            first.Run(untilStep: 3);
            checkpoint = first.SaveCheckpoint();
        }

        TorchOps.ManualSeed(424242);
        using var resumedModel = Build();
        using (var resumed = new Trainer(resumedModel, dataset, options with { OutputDirectory = resumedDir }))
        {
            Assert.AreEqual(3, resumed.LoadCheckpoint(checkpoint).Step);
            resumed.Run();
        }

        var expected = MetricsWriter.ReadAll(Path.Combine(temp.Combine("straight"), "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl"));
        Assert.AreEqual(6, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Loss, actual[i].Loss, $"loss of step {expected[i].Step}");
            Assert.AreEqual(expected[i].GradNorm, actual[i].GradNorm, $"grad norm of step {expected[i].Step}");
        }

        var a = TrainingFixture.Weights(straightModel);
        var b = TrainingFixture.Weights(resumedModel);
        Assert.AreEqual(a.Count, b.Count);
        foreach (var (name, values) in a) CollectionAssert.AreEqual(values, b[name], $"weights of {name}");
    }

    [TestMethod]
    public void Save_FullFineTune_HuggingFaceFolderLoadsWithSameLogProbs()
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("llama-gqa-sharded");
        using var dataset = EpisodeDataset.Open(FineTuneFixture.Prepare(temp, folder, count: 16));
        using var model = PretrainedCausalLm.Load(folder);
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using (var trainer = new Trainer(model, dataset, Options(2, temp.Combine("run")) with { LearningRate = 1e-3, MinLearningRate = null }))
        {
            trainer.Run();
        }

        Assert.IsTrue(model.NamedParameters().Any(p => !before[p.Name].SequenceEqual(p.Parameter.ToArray<float>())), "full fine-tuning changed the weights");
        var saved = temp.Combine("saved");
        model.Save(saved);
        var copied = PretrainedModelWriter.CopyTokenizerFiles(folder, saved);
        CollectionAssert.IsSubsetOf(new[] { "tokenizer.json", "tokenizer_config.json" }, copied.ToArray());
        Assert.IsTrue(File.Exists(Path.Combine(saved, "generation_config.json")));
        using var loaded = PretrainedModelLoader.Load(saved);
        Assert.AreEqual(ModelFolderTokenizer.Load(folder).Tokenizer.Fingerprint, ModelFolderTokenizer.Load(saved).Tokenizer.Fingerprint);
        model.Train(false);
        int[][] sequences = [[1, 5, 9, 200, 17, 3], [7, 7, 8, 100]];
        var expected = SequenceLogProbs.Compute(model, sequences);
        var actual = SequenceLogProbs.Compute(loaded, sequences);
        for (var i = 0; i < sequences.Length; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"sequence {i}");
    }

    [TestMethod]
    public void LoadSavedWeights_Bfloat16Checkpoint_WidensIntoAFloat32Model()
    {
        // A checkpoint of a bf16 run resumed under BFloat16Masters (the CUDA default) loads into float32 masters.
        using var temp = new TempDirectory();
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("qwen2"), new PretrainedModelOptions { DType = ScalarType.BFloat16 });
        PretrainedModelWriter.Save(model, temp.Path);
        using var fresh = PretrainedCausalLm.Create(model.Config, seed: 99);
        Assert.AreEqual(ScalarType.Float32, fresh.DType);
        ((ICausalLm)fresh).LoadSavedWeights(temp.Path);
        var freshWeights = fresh.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, p) in model.NamedParameters())
        {
            CollectionAssert.AreEqual(p.To(ScalarType.Float32).Reshape(-1).ToArray<float>(), freshWeights[name].Reshape(-1).ToArray<float>(), name + ": widened exactly");
        }
    }

    [TestMethod]
    public void LoadSavedWeights_ShardedSave_RestoresEveryParameter()
    {
        using var temp = new TempDirectory();
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("llama-gqa-sharded"));
        PretrainedModelWriter.Save(model, temp.Path, maxShardBytes: 64 * 1024);
        Assert.IsTrue(File.Exists(Path.Combine(temp.Path, "model.safetensors.index.json")), "the save is sharded");
        using var fresh = PretrainedCausalLm.Create(model.Config, seed: 99);
        ((ICausalLm)fresh).LoadSavedWeights(temp.Path);                       // what Trainer.LoadCheckpoint calls
        var expected = TrainingFixture.Weights(model);
        foreach (var (name, values) in TrainingFixture.Weights(fresh)) CollectionAssert.AreEqual(expected[name], values, name);
    }
}
