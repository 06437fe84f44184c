// LoRA fine-tuning on the CPU: the adapters of a frozen TinyGpt and of the tiny Qwen2 fixture learn a masked pattern, the base stays bit-identical, and
// masked positions get no gradient (the testing kit's loss-mask checks on the adapted model).
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.Testing;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.Models.Lora;

[TestClass]
[DoNotParallelize]
public sealed class LoraTrainingTests
{
    private const int Vocab = 64;
    private const int PromptLength = 8;
    private const int ResponseLength = 8;
    private const int ResponseToken = 42;
    private const int PretrainingSteps = 40;
    private static readonly string[] AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    [TestMethod]
    public void Train_LoraOnTinyGpt_LearnsMaskedResponseBaseUnchangedMaskedPositionsGetNoGradient()
    {
        using var model = PretrainedTinyGpt();
        var baseBefore = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("c_attn", "c_proj", "c_fc"), Rank = 8, Alpha = 16 }, seed: 12);
        using var optimizer = new AdamW(lora.NamedParameters(), learningRate: 1e-2, weightDecay: 0.0);

        using var pool = Episodes(64, seed: 13);
        TrainAndAssertLossFalls(optimizer, pool, steps: 30, (x, y, mask) => ModelLoss.Masked(model, x, y, mask));   // the masked-only head

        // Greedy continuation of fresh prompts gives the response token.
        model.Eval();
        using (var scope = new DisposeScope())
        {
            using var fresh = Episodes(16, seed: 99);
            var prompts = fresh.Inputs.Narrow(1, 0, PromptLength);                                    // (B, P)
            var generated = model.Generate(prompts, new GenerationOptions { MaxNewTokens = ResponseLength }).Narrow(1, PromptLength, ResponseLength);
            var accuracy = generated.Eq((long)ResponseToken).To(ScalarType.Float32).Mean().Item<float>();
            Assert.IsTrue(accuracy >= 0.99, $"greedy response accuracy {accuracy:P0}");
            using (lora.DisableAdapters())
            {
                var baseGenerated = model.Generate(prompts, new GenerationOptions { MaxNewTokens = ResponseLength }).Narrow(1, PromptLength, ResponseLength);
                Assert.IsTrue(baseGenerated.Eq((long)ResponseToken).To(ScalarType.Float32).Mean().Item<float>() < 0.5, "the base model alone did not learn it");
            }
        }

        AssertBaseUnchangedAndMaskedPositionsGetNoGradient(model, baseBefore, LogitsModel.Create(Vocab, model.Forward, lora.Parameters()));

        // Saved in peft's format and loaded onto a fresh copy of the base, the adapter reproduces the trained model.
        using var dir = new Safetensors.TempDirectory();
        lora.Save(dir.Path);
        using var copy = new TinyGpt(model.Config, seed: 0);
        copy.LoadParameters(model.NamedParameters().ToDictionary(p => p.Name, p => (Tensor)p.Parameter));
        copy.Eval();
        using var loaded = LoraModel.Load(copy, dir.Path);
        using var check = new DisposeScope();
        using var probe = Episodes(4, seed: 5);
        CollectionAssert.AreEqual(model.Forward(probe.Inputs).ToArray<float>(), copy.Forward(probe.Inputs).ToArray<float>());
    }

    [TestMethod]
    public void Train_LoraOnQwen2Fixture_LearnsMaskedResponseBaseUnchangedMaskedPositionsGetNoGradient()
    {
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("qwen2"));
        var vocab = model.VocabSize;
        var baseBefore = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AllProjections), Rank = 8, Alpha = 16 }, seed: 12);
        using var optimizer = new AdamW(lora.NamedParameters(), learningRate: 5e-3, weightDecay: 0.0);
        using var pool = Episodes(64, seed: 13, vocab: 500);                                             // ids < 500: real tokens
        TrainAndAssertLossFalls(optimizer, pool, steps: 30, (x, y, mask) => MaskedCrossEntropy.Compute(model.Forward(x), y, mask));

        using (var fresh = Episodes(16, seed: 99, vocab: 500))
        {
            var prompts = Enumerable.Range(0, 16).Select(r => (IReadOnlyList<int>)fresh.Inputs.Select(0, r).Narrow(0, 0, PromptLength).ToArray<long>().Select(v => (int)v).ToArray()).ToList();
            var generated = CausalLmGenerator.Generate(model, prompts, DecodingOptions.Greedy(ResponseLength));   // KV cache through the adapters
            var accuracy = generated.SelectMany(g => g.TokenIds).Count(t => t == ResponseToken) / (double)(16 * ResponseLength);
            Assert.IsTrue(accuracy >= 0.99, $"greedy response accuracy {accuracy:P0}");
            using (lora.DisableAdapters())
            {
                var baseAccuracy = CausalLmGenerator.Generate(model, prompts, DecodingOptions.Greedy(ResponseLength)).SelectMany(g => g.TokenIds).Count(t => t == ResponseToken) / (double)(16 * ResponseLength);
                Assert.IsTrue(baseAccuracy < 0.5, $"the base model alone did not learn it ({baseAccuracy:P0})");
            }
        }

        AssertBaseUnchangedAndMaskedPositionsGetNoGradient(model, baseBefore, LogitsModel.Create(vocab, model.Forward, lora.Parameters()));
    }

    [TestMethod]
    public void Backward_GradientCheckpointing_SameAdapterGradientsAsWithout()
    {
        using var model = PretrainedCausalLm.Load(HfModelFixtures.Folder("qwen2"));
        using var lora = LoraModel.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames(AllProjections), Rank = 4, Init = LoraInit.Random }, seed: 3);
        using var batch = Episodes(4, seed: 8, vocab: 500);
        float[][] Gradients(bool checkpointing)
        {
            model.GradientCheckpointing = checkpointing;
            foreach (var p in lora.Parameters()) p.ZeroGrad();
            using var scope = new DisposeScope();
            var real = TorchOps.Ones(batch.Inputs.Shape, ScalarType.Int64);                             // (B, T) no padding
            var hidden = model.ForwardHidden(new CausalLmInput(batch.Inputs) { AttentionMask = real });    // (B, T, C)
            MaskedCrossEntropy.Compute(TorchOps.Linear(hidden, model.HeadWeight), batch.Targets, batch.Mask).Backward();
            return lora.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        }

        var plain = Gradients(false);
        var checkpointed = Gradients(true);
        for (var i = 0; i < plain.Length; i++)
        {
            Assert.IsTrue(plain[i].Any(v => v != 0f), $"adapter parameter {i} gets a gradient");
            LoraModelTests.AssertClose(plain[i], checkpointed[i], 1e-6, $"adapter parameter {i} with checkpointed layers");
        }

        Assert.IsTrue(model.Parameters().All(p => p.Grad is null), "frozen base parameters get none either way");
    }

    /// <summary>Every base parameter equals its value before training bit for bit and never got a gradient; the testing
    /// kit's loss-mask checks pass on the adapted model with only the adapters as trainable parameters (zero logit gradient
    /// at masked positions, adapter gradients unchanged when masked targets change).</summary>
    private static void AssertBaseUnchangedAndMaskedPositionsGetNoGradient(MaskedSft.Torch.Nn.Module model, Dictionary<string, float[]> baseBefore, ILogitsModel adapted)
    {
        foreach (var (name, p) in model.NamedParameters())
        {
            CollectionAssert.AreEqual(baseBefore[name], p.ToArray<float>(), $"base parameter {name} is bit-identical after training");
            Assert.IsNull(p.Grad, $"{name} never got a gradient");
        }

        var report = LossMaskChecks.RunAll(adapted);
        Assert.IsTrue(report.AllPassed, report.ToTable());
        var gradient = report.Results.Single(r => r.Name == LossMaskChecks.GradientCheckName);
        Assert.AreEqual(0.0, gradient.Measured["max_abs_logit_grad_masked"]);
        Assert.AreEqual(0.0, gradient.Measured["max_param_grad_change"]);
        Assert.IsTrue(gradient.Measured["logit_grad_norm_trained"] > 0);
    }

    /// <summary>Runs AdamW steps on batches of 16 episodes drawn from the pool and asserts that the masked loss falls to
    /// under a tenth of its first value (mean of the last 10 steps).</summary>
    private static void TrainAndAssertLossFalls(AdamW optimizer, EpisodeTensors pool, int steps, Func<Tensor, Tensor, Tensor, Tensor> loss)
    {
        using var rng = Generator.Create(14);
        var losses = new List<double>();
        for (var step = 0; step < steps; step++)
        {
            using var scope = new DisposeScope();
            var rows = TorchOps.RandInt(0, pool.Inputs.Size(0), [16], rng);                          // (B)
            optimizer.ZeroGrad();
            var value = loss(pool.Inputs.IndexSelect(0, rows), pool.Targets.IndexSelect(0, rows), pool.Mask.IndexSelect(0, rows));
            value.Backward();
            optimizer.Step();
            losses.Add(value.Item<float>());
        }

        var final = losses.TakeLast(10).Average();
        Assert.IsTrue(final < 0.1 * losses[0], $"the masked loss falls clearly: {string.Join(" ", losses.Select(l => l.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    /// <summary>A TinyGpt "pretrained" by full fine-tuning on a bigram language (token t is followed by (3t + 7) mod V),
    /// so, as a pretrained model, it predicts confidently: a fresh one cannot (its tied std-0.02 embedding caps every logit
    /// near |h|·|e| ≈ 0.6 and LoRA leaves embeddings and norms frozen), and its response-position predictions are wrong
    /// for the masked pattern (after 42 it expects 5), which the adapters must override.</summary>
    private static TinyGpt PretrainedTinyGpt()
    {
        var model = new TinyGpt(new GptConfig { VocabSize = Vocab, BlockSize = 16, Layers = 2, Heads = 2, EmbeddingSize = 32, Dropout = 0 }, seed: 11);
        using var optimizer = new AdamW(model.NamedParameters(), learningRate: 1e-2, weightDecay: 0.0);
        using var g = Generator.Create(21);
        for (var step = 0; step < PretrainingSteps; step++)
        {
            using var scope = new DisposeScope();
            var first = TorchOps.RandInt(0, Vocab, [16, 1], g);                                           // (B, 1)
            var steps = TorchOps.Arange(16).Unsqueeze(0);                                                   // (1, 16)
            var sequence = Bigram(first, steps);                                                            // (B, 16)
            optimizer.ZeroGrad();
            using var output = ModelLoss.Output(model, sequence.Narrow(1, 0, 15), sequence.Narrow(1, 1, 15), TorchOps.Ones([16, 15]));
            output.Loss.Backward();
            optimizer.Step();
        }

        model.ZeroGrad();
        return model;
    }

    /// <summary>Token i of a row of the bigram language that starts at <paramref name="first"/>: applying t -> (3t + 7) mod V
    /// i times.</summary>
    private static Tensor Bigram(Tensor first, Tensor steps)
    {
        var tokens = new List<Tensor> { first };                                                            // (B, 1) each
        for (var i = 1; i < steps.Size(1); i++) tokens.Add(tokens[^1].Mul(3L).Add(7L).Remainder(Vocab));
        return TorchOps.Cat(tokens, 1);
    }

    /// <summary>Episodes of <see cref="PromptLength"/> random tokens (never the response token) followed by
    /// <see cref="ResponseLength"/> response tokens; inputs/targets shifted by one, the mask on the response targets only.</summary>
    private static EpisodeTensors Episodes(int count, ulong seed, int vocab = Vocab)
    {
        using var g = Generator.Create(seed);
        using var scope = new DisposeScope();
        var prompt = TorchOps.RandInt(0, vocab - 1, [count, PromptLength], g);                        // (N, P)
        prompt = prompt.Add(prompt.Ge((long)ResponseToken).To(ScalarType.Int64));                     // skip the response token
        var response = TorchOps.Full([count, ResponseLength], ResponseToken, ScalarType.Int64);        // (N, R)
        var sequence = TorchOps.Cat([prompt, response], 1);                                            // (N, P + R)
        var length = PromptLength + ResponseLength - 1;
        var inputs = sequence.Narrow(1, 0, length);                                                    // (N, T)
        var targets = sequence.Narrow(1, 1, length);                                                   // (N, T)
        var mask = TorchOps.Arange(length).Ge((long)(PromptLength - 1)).To(ScalarType.Float32).Unsqueeze(0).Expand(count, length).Contiguous(); // (N, T)
        return new EpisodeTensors(inputs.Contiguous().DetachFromDisposeScope(), targets.Contiguous().DetachFromDisposeScope(), mask.DetachFromDisposeScope());
    }

    private sealed record EpisodeTensors(Tensor Inputs, Tensor Targets, Tensor Mask) : IDisposable
    {
        public void Dispose()
        {
            Inputs.Dispose();
            Targets.Dispose();
            Mask.Dispose();
        }
    }
}
