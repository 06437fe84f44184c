// doctor rl on real GRPO runs (a healthy toy run, runs built to show a problem) and the ML.NET GRPO trainer.
using MaskedSft.MLNet.Doctor;
using MaskedSft.MLNet.Losses;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Pipelines;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;
using Microsoft.ML;

namespace MaskedSft.MLNet.Tests.Training.Rl;

[TestClass]
[DoNotParallelize]
public sealed class RlDoctorTests
{
    [TestMethod]
    public void Diagnose_HealthyToyRunWithEos_InvalidatesScalingMaskingKlAndSync()
    {
        var dir = NewDir();
        try
        {
            using (var scope = new DisposeScope())
            using (var model = OnPolicyGrpoTests.ToyModel())
            {
                // eos = the target token: completions that emit it stop
                var options = OnPolicyGrpoTests.ToyOptions(12, dir) with
                {
                    Decoding = new DecodingOptions { DoSample = true, MaxNewTokens = 6, EosTokenIds = [5], Seed = 5 },
                    BoundarySampleRate = 0.3,
                };
                using var trainer = new OnPolicyGrpoTrainer(model, OnPolicyGrpoTests.ToyPrompts, (_, _, c) => c.Count > 0 && c[^1] == 5 ? 1.0 / c.Count : 0.0, options);
                trainer.Run();
            }

            var run = RlRunRecord.Read(dir);
            var findings = RlRunDoctor.Diagnose(run);
            var byId = findings.ToDictionary(f => f.Id);
            Assert.AreEqual(6, findings.Count);
            Assert.AreEqual(HypothesisVerdict.Invalidated, byId["H01"].Verdict, string.Join("; ", byId["H01"].Evidence));
            Assert.AreEqual(HypothesisVerdict.Invalidated, byId["H02"].Verdict, string.Join("; ", byId["H02"].Evidence));
            Assert.AreEqual(HypothesisVerdict.Invalidated, byId["H03"].Verdict, "no KL term");
            Assert.AreEqual(HypothesisVerdict.Invalidated, byId["H06"].Verdict, string.Join("; ", byId["H06"].Evidence));
            StringAssert.Contains(RlRunDoctor.ToMarkdown(run, findings), "## H04 context truncation");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Diagnose_FlatRewardsAllTruncatedAndK1_ValidatesSignalTruncationAndKl()
    {
        var dir = NewDir();
        try
        {
            using (var scope = new DisposeScope())
            using (var model = OnPolicyGrpoTests.ToyModel())
            using (var reference = OnPolicyGrpoTests.ToyModel())
            {
                var options = OnPolicyGrpoTests.ToyOptions(3, dir) with { Loss = new GrpoLossOptions { KlBeta = 0.1, KlEstimator = KlEstimator.K1 } };
                using var trainer = new OnPolicyGrpoTrainer(model, OnPolicyGrpoTests.ToyPrompts, (_, _, _) => 1.0, options, reference);
                trainer.Run();
            }

            var byId = RlRunDoctor.Diagnose(RlRunRecord.Read(dir)).ToDictionary(f => f.Id);
            Assert.AreEqual(HypothesisVerdict.Validated, byId["H05"].Verdict, "every group is flat");
            Assert.AreEqual(HypothesisVerdict.Validated, byId["H04"].Verdict, "no eos: every completion is cut");
            Assert.AreEqual(HypothesisVerdict.Validated, byId["H03"].Verdict, "k1");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Diagnose_InferenceLogProbsFromOtherWeights_ValidatesPolicySync()
    {
        var dir = NewDir();
        try
        {
            Directory.CreateDirectory(dir);
            using (var scope = new DisposeScope())
            using (var trained = OnPolicyGrpoTests.ToyModel(seed: 3))
            using (var stale = OnPolicyGrpoTests.ToyModel(seed: 4))
            using (var metrics = new MetricsWriter(Path.Combine(dir, "metrics.jsonl")))
            {
                // the sampler ran other weights than the trainer (an adapter that was never reloaded)
                var completions = CausalLmGenerator.Generate(stale, OnPolicyGrpoTests.ToyPrompts, new DecodingOptions { DoSample = true, MaxNewTokens = 4, EosTokenIds = [], Seed = 1 });
                var rows = completions.Select((c, i) => (0, OnPolicyGrpoTests.ToyPrompts[i], c, (double)i)).ToList();
                var batch = RolloutBatchBuilder.Build(rows);
                GroupAdvantageFill.Apply(batch, RewardScaling.Group);
                var objective = new GrpoObjective(trained);
                objective.PrepareStep([batch]);
                objective.Compute(batch);
                var step = new StepMetrics(1, 0.1, 1, 1, 0, 0, 1e-3, 1, 16);
                var diagnostics = RlBatchDiagnostics.Of([batch]);
                metrics.Write(step, json => RlMetrics.Write(json, diagnostics, objective.LastStep));
            }

            var byId = RlRunDoctor.Diagnose(RlRunRecord.Read(dir)).ToDictionary(f => f.Id);
            Assert.AreEqual(HypothesisVerdict.Validated, byId["H06"].Verdict, string.Join("; ", byId["H06"].Evidence));
            Assert.AreEqual(HypothesisVerdict.Inconclusive, byId["H03"].Verdict, "no run.json");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Read_MissingMetrics_SaysWhatIsMissing()
    {
        var dir = NewDir();
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.ThrowsExactly<FileNotFoundException>(() => RlRunRecord.Read(dir));
            StringAssert.Contains(e.Message, "metrics.jsonl");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void MlNetGrpoTrainer_FitOnPromptView_TrainsAndScoresGreedyCompletions()
    {
        using var scope = new DisposeScope();
        using var model = OnPolicyGrpoTests.ToyModel();
        var ml = new MLContext(seed: 1);
        var prompts = ml.Data.LoadFromEnumerable(OnPolicyGrpoTests.ToyPrompts.Select(p => new GrpoPromptRow { PromptTokens = p.ToArray() }));
        var fitted = ml.MaskedSft().Trainers.Grpo(model, OnPolicyGrpoTests.CountTarget, OnPolicyGrpoTests.ToyOptions(20)).Fit(prompts);
        Assert.AreEqual(20, fitted.Steps.Count);
        var rows = ml.Data.CreateEnumerable<GrpoCompletionRow>(fitted.Transform(prompts), reuseRowObject: false).ToList();
        Assert.AreEqual(4, rows.Count);
        Assert.IsTrue(rows.All(r => r.Completion.Length == 4));
        Assert.IsTrue(rows.Average(r => r.Reward) > fitted.Steps[0].Batch.RewardMean, $"greedy reward {rows.Average(r => r.Reward)} vs first sampled {fitted.Steps[0].Batch.RewardMean}");
        var bad = ml.Data.LoadFromEnumerable(new[] { new GrpoCompletionRow() });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MaskedSft().Trainers.Grpo(model, OnPolicyGrpoTests.CountTarget).Fit(bad));
    }

    private static string NewDir() => Path.Combine(Path.GetTempPath(), "doctor-rl-" + Guid.NewGuid().ToString("N"));
}
