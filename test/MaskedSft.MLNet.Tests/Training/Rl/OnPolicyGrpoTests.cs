// On-policy GRPO end to end on a verifiable toy task (reward rises), the step-0 probe with LoRA (ratio 1, KL 0), the files.
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Training.Rl;

[TestClass]
[DoNotParallelize]
public sealed class OnPolicyGrpoTests
{
    private const int Target = 5;

    /// <summary>A one-layer Llama over 8 tokens: small enough to train in seconds, big enough to learn a preference.</summary>
    internal static PretrainedCausalLm ToyModel(ulong seed = 3) => PretrainedCausalLm.Create(new PretrainedLmConfig
    {
        Architecture = PretrainedArchitecture.Llama,
        VocabSize = 8,
        HiddenSize = 16,
        IntermediateSize = 32,
        NumHiddenLayers = 1,
        NumAttentionHeads = 2,
        NumKeyValueHeads = 1,
        HeadDim = 8,
        MaxPositionEmbeddings = 32,
        InitializerRange = 0.2,
    }, seed);

    internal static IReadOnlyList<IReadOnlyList<int>> ToyPrompts => [[1, 2], [1, 3], [2, 4], [3, 1]];

    /// <summary>The verifiable reward: the fraction of completion tokens equal to the target token.</summary>
    internal static double CountTarget(int promptIndex, IReadOnlyList<int> prompt, IReadOnlyList<int> completion) =>
        completion.Count == 0 ? 0 : completion.Count(t => t == Target) / (double)completion.Count;

    internal static OnPolicyGrpoOptions ToyOptions(int steps, string? output = null) => new()
    {
        Training = new TrainerOptions { MaxSteps = steps, LearningRate = 0.02, WarmupSteps = 0, WeightDecay = 0, Seed = 11, OutputDirectory = output, GradientClip = 1.0 },
        GroupSize = 8,
        PromptsPerStep = 2,
        Decoding = new DecodingOptions { DoSample = true, MaxNewTokens = 4, EosTokenIds = [], Seed = 5 },
        BoundarySampleRate = 0.1,
    };

    [TestMethod]
    public void Run_ToyCountTask_MeanRewardRisesWithinSeconds()
    {
        using var scope = new DisposeScope();
        using var model = ToyModel();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var trainer = new OnPolicyGrpoTrainer(model, ToyPrompts, CountTarget, ToyOptions(30));
        var steps = trainer.Run();
        watch.Stop();
        var first = steps.Take(5).Average(s => s.Batch.RewardMean);
        var last = steps.TakeLast(5).Average(s => s.Batch.RewardMean);
        Console.WriteLine($"mean reward {first:F3} (steps 1-5) -> {last:F3} (steps 26-30) in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(30, steps.Count);
        Assert.IsTrue(last > first + 0.25, $"reward should rise measurably: {first:F3} -> {last:F3}");
        Assert.IsTrue(steps.All(s => double.IsFinite(s.Metrics.Loss)));
        Assert.IsTrue(steps[0].Policy.MeanRatio is > 0.999 and < 1.001, $"on-policy ratio {steps[0].Policy.MeanRatio}");
        Assert.IsTrue(steps[0].Policy.MeanLogProbDifference < 1e-4, $"trainer vs inference {steps[0].Policy.MeanLogProbDifference}");
    }

    [TestMethod]
    public void Probe_LoraPolicyAndAdaptersDisabledReference_RatioIsOneAndKlIsZero()
    {
        using var scope = new DisposeScope();
        using var baseModel = ToyModel(seed: 8);
        using var lora = LoraCausalLm.Create(baseModel, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "v_proj", "up_proj"), Rank = 4, Alpha = 8 }, seed: 2);
        var options = ToyOptions(1) with { Loss = new GrpoLossOptions { KlBeta = 0.05, KlEstimator = KlEstimator.K3 } };
        using var trainer = new OnPolicyGrpoTrainer(lora, ToyPrompts, CountTarget, options);
        var step = trainer.RunStep();
        Assert.IsNotNull(step.Probe);
        var (ratio, ratioDeviation, kl, klMax) = step.Probe.Value;
        Console.WriteLine($"step-0 probe: ratio {ratio:R} (max |ratio-1| {ratioDeviation:G3}), KL {kl:R} (max |KL| {klMax:G3})");
        Assert.AreEqual(1.0, ratio, 1e-5);
        Assert.IsTrue(ratioDeviation < 1e-4);
        Assert.AreEqual(0.0, kl, 1e-7);
        Assert.IsTrue(klMax < 1e-6);
        // the adapters did move: after the update, the policy differs from its adapters-disabled reference
        var next = new GrpoObjective(lora, options.Loss);
        var batch = RolloutBatchBuilder.Build([(0, ToyPrompts[0], new GeneratedSequence([Target, Target, 1], false, [-1f, -1f, -1f]), 1.0)]);
        var after = next.Probe(batch);
        Assert.IsTrue(after.MaxAbsKl > 1e-6, $"KL after one step {after.MaxAbsKl}");
    }

    [TestMethod]
    public void Run_WithOutput_WritesRunMetricsAndTokenBoundaries()
    {
        var dir = Path.Combine(Path.GetTempPath(), "grpo-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var scope = new DisposeScope())
            using (var model = ToyModel())
            using (var trainer = new OnPolicyGrpoTrainer(model, ToyPrompts, CountTarget, ToyOptions(3, dir)))
                trainer.Run();
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
            Assert.AreEqual(3, lines.Length);
            foreach (var key in new[] { "\"step\"", "\"loss\"", RlMetrics.RewardStd, RlMetrics.AdvantageAbsMax, RlMetrics.ZeroStdFraction, RlMetrics.TruncationRate, RlMetrics.RatioMean, RlMetrics.LogProbDiffMean })
                StringAssert.Contains(lines[1], key.Trim('"'));
            StringAssert.Contains(lines[0], RlMetrics.ProbeRatio);
            var boundaries = TokenBoundaryLog.ReadSummary(Path.Combine(dir, TokenBoundaryLog.FileName));
            Assert.IsTrue(boundaries.Count >= 1);
            Assert.IsTrue(boundaries.All(b => b.TrainedInPrompt == 0 && b.TrainedTokens == 4));
            StringAssert.Contains(File.ReadAllText(Path.Combine(dir, OnPolicyGrpoTrainer.RunFileName)), "\"kl_estimator\"");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
