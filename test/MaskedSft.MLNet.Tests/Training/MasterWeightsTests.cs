// TrainingPrecision.BFloat16Masters on the CPU: bf16 training tracks float32, small updates survive in the float32 masters,
// accumulation is float32, checkpoints hold the masters and resume exactly, and `train --precision bf16-masters` works.
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Models.Lora;
using MaskedSft.MLNet.Models.Pretrained;
using MaskedSft.MLNet.Tests.Data;
using MaskedSft.MLNet.Tests.Distributed;
using MaskedSft.MLNet.Tests.Models.Pretrained;
using MaskedSft.MLNet.Tests.Training.Rl;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Training.Rl;
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
[DoNotParallelize]
public sealed class MasterWeightsTests : TrainingTestClass<MasterWeightsTests>
{
    private const int T = 8;
    private const int Vocab = 23;
    private static readonly GptConfig Tiny = new() { Layers = 1, Heads = 2, EmbeddingSize = 16, BlockSize = T, VocabSize = Vocab };
    private static readonly TrainerOptions Constant = new() { MaxSteps = 6, WarmupSteps = 0, LearningRate = 1e-2, MinLearningRate = 1e-2, HardExamples = null };

    [TestMethod]
    public void RunStep_Masters_LossesTrackFloat32WithinBf16Tolerance()
    {
        var rows = Rows(8, seed: 3);
        using var fp32 = new TinyGpt(Tiny, seed: 2);
        using var bf16 = new TinyGpt(Tiny, seed: 2);
        using var reference = new TrainingEngine<EpisodeBatch>(fp32.NamedParameters(), new SftObjective(fp32), Constant, 6);
        using var masters = new TrainingEngine<EpisodeBatch>(bf16.NamedParameters(), new SftObjective(bf16), Constant with { Precision = TrainingPrecision.BFloat16Masters }, 6);

        Assert.AreEqual(TrainingPrecision.BFloat16Masters, masters.Precision);
        Assert.IsTrue(bf16.NamedParameters().All(p => p.Parameter.DType == ScalarType.BFloat16), "the engine casts the trainable parameters to bfloat16");
        using (var scope = new DisposeScope())
        using (masters.UseMasterWeights())
        {
            // The masters are the float32 model's values, not their bfloat16 roundings.
            foreach (var ((name, p), (_, q)) in fp32.NamedParameters().Zip(bf16.NamedParameters()))
            {
                Assert.AreEqual(ScalarType.Float32, q.DType, name);
                CollectionAssert.AreEqual(p.ToArray<float>(), q.ToArray<float>(), name);
            }
        }

        var a = new List<StepMetrics>();
        var b = new List<StepMetrics>();
        for (var step = 0; step < 6; step++)
        {
            var batch = Batch(rows, (step % 2) * 4, 4);
            a.Add(reference.RunStep([batch]));
            b.Add(masters.RunStep([batch]));
        }

        // bfloat16 keeps 8 bits of mantissa (relative rounding 2^-9 = 0.2%); the losses (about ln 23 = 3.1) agree to 1%.
        for (var i = 0; i < 6; i++)
        {
            Assert.AreEqual(a[i].Loss, b[i].Loss, 0.01 * a[i].Loss, $"step {i + 1}: float32 {a[i].Loss}, masters {b[i].Loss}");
            Assert.AreEqual(a[i].GradNorm, b[i].GradNorm, 0.05 * a[i].GradNorm, $"step {i + 1} gradient norm");
            Assert.AreEqual(a[i].ParamNorm, b[i].ParamNorm, 1e-3 * a[i].ParamNorm, $"step {i + 1}: the parameter norm is the masters'");
        }

        Assert.IsLessThan(a[0].Loss - 0.1, a[^2].Loss, "float32 learns");
        Assert.IsLessThan(b[0].Loss - 0.1, b[^2].Loss, "masters learn");
        using var check = new DisposeScope();
        Assert.IsTrue(bf16.NamedParameters().All(p => p.Parameter.DType == ScalarType.BFloat16 && p.Parameter.Grad is null), "bfloat16 weights, no bfloat16 gradient left after a step");
        using var initial = new TinyGpt(Tiny, seed: 2);
        double gap = 0, moved = 0;
        using (masters.UseMasterWeights())
        {
            foreach (var (((_, p), (_, q)), (_, p0)) in fp32.NamedParameters().Zip(bf16.NamedParameters()).Zip(initial.NamedParameters()))
            {
                gap += p.Sub(q).To(ScalarType.Float64).Square().Sum().Item<double>();
                moved += p.Sub(p0).To(ScalarType.Float64).Square().Sum().Item<double>();
            }
        }

        // bfloat16 rounding of the forward pass and of the gradients flips the sign of small gradient coordinates in Adam's
        // early, sign-like steps: after 6 steps the masters are 8% of the float32 run's total update away from it (seeded).
        Assert.IsLessThan(0.2 * Math.Sqrt(moved), Math.Sqrt(gap), $"the masters follow the float32 run: gap {Math.Sqrt(gap)} against a total update of {Math.Sqrt(moved)}");
    }

    [TestMethod]
    public void RunStep_MastersWithFrozenFloat32Parameters_FailsWithTheCastHint()
    {
        // Only the blocks are trainable: the engine casts them, the float32 embeddings stay as the caller left them.
        using var model = new TinyGpt(Tiny, seed: 1);
        var blocks = model.NamedParameters().Where(p => p.Name.StartsWith("transformer.h.", StringComparison.Ordinal)).ToList();
        using var engine = new TrainingEngine<EpisodeBatch>(blocks, new SftObjective(model), Constant with { Precision = TrainingPrecision.BFloat16Masters }, 6);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => engine.RunStep([Batch(Rows(2, seed: 1), 0, 2)]));
        StringAssert.Contains(e.Message, "BFloat16Masters");
        StringAssert.Contains(e.Message, "model.To(model.Device, ScalarType.BFloat16)");
        Assert.IsInstanceOfType<TorchException>(e.InnerException);

        model.To(model.Device, ScalarType.BFloat16); // what Trainer does after creating its engine
        Assert.IsTrue(double.IsFinite(engine.RunStep([Batch(Rows(2, seed: 1), 0, 2)]).Loss));
    }

    [TestMethod]
    public void RunStep_UpdateBelowBf16Resolution_PureBf16RoundsItAwayMastersKeepIt()
    {
        // Adam moves each coordinate by about lr = 1e-4 per step; bfloat16 values next to 1.0 are 2^-8 apart, so pure bfloat16
        // rounds every update back to 1.0, while the masters walk down and the bfloat16 weights follow once they pass 1 - 2^-9.
        var options = new TrainerOptions { MaxSteps = 30, WarmupSteps = 0, LearningRate = 1e-4, MinLearningRate = 1e-4, GradientClip = 0, HardExamples = null };
        using var pure = new Parameter(TorchOps.Ones([4], ScalarType.BFloat16));
        using var master = new Parameter(TorchOps.Ones([4]));
        using var pureEngine = new TrainingEngine<int>([("w", pure)], new Quadratic(pure), options with { Precision = TrainingPrecision.BFloat16 }, 30);
        using var mastersEngine = new TrainingEngine<int>([("w", master)], new Quadratic(master), options with { Precision = TrainingPrecision.BFloat16Masters }, 30);
        Assert.AreEqual(ScalarType.BFloat16, master.DType, "the engine made the float32 parameter bfloat16");

        pureEngine.RunStep([0]);
        mastersEngine.RunStep([0]);
        Assert.IsTrue(Values(pure).All(v => v == 1f), "pure bfloat16: 1 - 1e-4 rounds to 1");
        Assert.IsTrue(Values(master).All(v => v == 1f), "the bfloat16 weight still rounds to 1");
        using (mastersEngine.UseMasterWeights())
            foreach (var v in Values(master)) Assert.AreEqual(1 - 1e-4, v, 1e-6, "the master moved by lr");

        for (var i = 1; i < 30; i++)
        {
            pureEngine.RunStep([0]);
            mastersEngine.RunStep([0]);
        }

        Assert.IsTrue(Values(pure).All(v => v == 1f), $"pure bfloat16 never moves: [{string.Join(", ", Values(pure))}]");
        float[] masters;
        using (mastersEngine.UseMasterWeights()) masters = Values(master);
        foreach (var v in masters) Assert.AreEqual(1 - 30e-4, v, 1e-5, "30 steps of lr in the float32 master");
        var rounded = Values(master);
        CollectionAssert.AreEqual(Enumerable.Repeat(1f - 1f / 256, 4).ToArray(), rounded, "the bfloat16 weight is the master rounded: 0.997 -> 1 - 2^-8");
    }

    [TestMethod]
    public void RunStep_TwoMicroBatches_AccumulateInFloat32AndEqualOneBatch()
    {
        var rows = Rows(6, seed: 7);
        var options = Constant with { Precision = TrainingPrecision.BFloat16Masters, GradientClip = 0 };
        using var one = new TinyGpt(Tiny, seed: 5);
        using var two = new TinyGpt(Tiny, seed: 5);
        using var byHand = new TinyGpt(Tiny, seed: 5);
        using var single = new TrainingEngine<EpisodeBatch>(one.NamedParameters(), new SftObjective(one), options, 6);
        using var accumulated = new TrainingEngine<EpisodeBatch>(two.NamedParameters(), new SftObjective(two), options, 6);
        var (first, second, both) = (Batch(rows, 0, 3), Batch(rows, 3, 3), Batch(rows, 0, 6));

        // The float32 sum of the two micro-batches' bfloat16 gradients, by hand.
        byHand.To(Device.Cpu, ScalarType.BFloat16);
        double expectedNorm;
        using (var scope = new DisposeScope())
        {
            var objective = new SftObjective(byHand);
            objective.PrepareStep([first, second]);
            objective.Compute(first).Loss.Backward();
            var sums = byHand.NamedParameters().Select(p => p.Parameter.Grad!.To(ScalarType.Float32)).ToList();
            byHand.ZeroGrad();
            objective.Compute(second).Loss.Backward();
            foreach (var (sum, (_, p)) in sums.Zip(byHand.NamedParameters())) sum.AddInPlace(p.Grad!);
            expectedNorm = Math.Sqrt(sums.Sum(s => s.To(ScalarType.Float64).Square().Sum().Item<double>()));
        }

        var a = single.RunStep([both]);
        var b = accumulated.RunStep([first, second]);

        Assert.AreEqual(expectedNorm, b.GradNorm, 1e-5 * expectedNorm, "the accumulated gradient is the float32 sum of the micro-batches' bfloat16 gradients (each added once)");
        Assert.AreEqual(a.SupervisedTokens, b.SupervisedTokens);
        Assert.AreEqual(a.Loss, b.Loss, 2.0 / 64, "the micro-batches' bfloat16 loss shares add up to the batch's bfloat16 loss to two ulps of bfloat16 at 3 (2^-6 each)");
        Assert.AreEqual(a.GradNorm, b.GradNorm, 1e-2 * a.GradNorm, "one batch of both, to bfloat16 gradient rounding");
        using var check = new DisposeScope();
        long differing = 0, total = 0;
        using (single.UseMasterWeights())
        using (accumulated.UseMasterWeights())
        {
            foreach (var ((name, p), (_, q)) in one.NamedParameters().Zip(two.NamedParameters()))
            {
                // Adam's first step moves every coordinate by lr times the sign of its gradient: the same masters, but for
                // coordinates whose gradient is rounding noise (e.g. the attention keys' bias, whose true gradient is 0),
                // where bfloat16 rounding in another order can flip the sign (a gap of at most 2 lr).
                var gaps = p.Sub(q).Abs();
                Assert.IsLessThanOrEqualTo(2.0001e-2, (double)gaps.Max().Item<float>(), name);
                differing += gaps.Gt(1e-6).Sum().Item<long>();
                total += p.NumberOfElements;
            }
        }

        Assert.IsLessThan(0.05 * total, (double)differing, $"{differing} of {total} master coordinates differ");
    }

    [TestMethod]
    public void LoadCheckpoint_Masters_ContinuesExactlyFromTheFloat32Masters()
    {
        var run = Fixture.NewDirectory("masters-resume");
        var options = new TrainerOptions
        {
            MaxSteps = 6, BatchSize = 2, GradientAccumulationSteps = 2, WarmupSteps = 2, LearningRate = 3e-3, EvalInterval = 0, LogInterval = 1,
            CheckpointInterval = 3, HardExamples = null, TensorBoard = false, OutputDirectory = run, Precision = TrainingPrecision.BFloat16Masters,
        };
        using var model = new TinyGpt(Fixture.Config(), seed: 4);
        var straight = new List<StepMetrics>();
        Dictionary<string, float[]> straightMasters;
        using (var trainer = new Trainer(model, Fixture.Dataset, options))
        {
            Assert.AreEqual(TrainingPrecision.BFloat16Masters, trainer.Precision);
            Assert.AreEqual(ScalarType.BFloat16, model.DType, "the trainer cast the model once the engine took its masters");
            trainer.StepCompleted += straight.Add;
            trainer.Run();
            using (trainer.UseMasterWeights()) straightMasters = TrainingFixture.Weights(model);
        }

        var checkpoint = Path.Combine(run, "checkpoints", "step-00000003");
        using (var file = SafetensorsFile.Open(Path.Combine(checkpoint, TinyGpt.WeightsFileName)))
            Assert.IsTrue(file.Tensors.All(t => t.DType == SafetensorsDType.F32), "the checkpoint's weights are the float32 masters");
        using (var optimizer = SafetensorsFile.Open(Path.Combine(checkpoint, CheckpointMetadata.OptimizerFileName)))
        {
            var names = optimizer.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, _) in model.NamedParameters()) Assert.Contains($"{name}.exp_avg", names, "AdamW's state is named after the parameters");
            Assert.IsTrue(optimizer.Tensors.Where(t => !t.Name.EndsWith(".step", StringComparison.Ordinal)).All(t => t.DType == SafetensorsDType.F32), "float32 moments");
        }

        using var fresh = new TinyGpt(Fixture.Config(), seed: 99);
        var resumed = new List<StepMetrics>();
        using (var trainer = new Trainer(fresh, Fixture.Dataset, options with { OutputDirectory = Fixture.NewDirectory("masters-resumed") }))
        {
            Assert.AreEqual(3, trainer.LoadCheckpoint(checkpoint).Step);
            trainer.StepCompleted += resumed.Add;
            trainer.Run();
            Dictionary<string, float[]> resumedMasters;
            using (trainer.UseMasterWeights()) resumedMasters = TrainingFixture.Weights(fresh);
            foreach (var (name, values) in straightMasters) CollectionAssert.AreEqual(values, resumedMasters[name], $"{name}: the same float32 masters after step 6");
        }

        CollectionAssert.AreEqual(new long[] { 4, 5, 6 }, resumed.Select(m => m.Step).ToArray());
        for (var i = 0; i < 3; i++)
        {
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(straight[i + 3].Loss), BitConverter.DoubleToInt64Bits(resumed[i].Loss), $"step {i + 4} loss: {straight[i + 3].Loss} vs {resumed[i].Loss}");
            Assert.AreEqual(straight[i + 3].GradNorm, resumed[i].GradNorm, $"step {i + 4} gradient norm");
        }

        using var scope = new DisposeScope();
        foreach (var ((name, p), (_, q)) in model.NamedParameters().Zip(fresh.NamedParameters()))
            CollectionAssert.AreEqual(p.To(ScalarType.Float32).ToArray<float>(), q.To(ScalarType.Float32).ToArray<float>(), $"{name}: the same bfloat16 weights");
    }

    [TestMethod]
    [DataRow(true, DisplayName = "LoRA with dropout: bfloat16 base, float32 adapter masters")]
    [DataRow(false, DisplayName = "full fine-tuning")]
    public void LoadCheckpoint_MastersOnQwen2_FreshObjectsContinueBitForBit(bool lora)
    {
        using var temp = new TempDirectory();
        var folder = HfModelFixtures.Folder("qwen2");
        using var dataset = EpisodeDataset.Open(FineTuneFixture.Prepare(temp, folder, count: 16));
        ICausalLm Build()
        {
            var model = PretrainedCausalLm.Load(folder);   // float32: the masters keep the file's values
            return lora
                ? LoraCausalLm.Create(model, new LoraConfig { TargetModules = ModuleSelector.FromNames("q_proj", "v_proj", "down_proj"), Rank = 4, Alpha = 8, Dropout = 0.1 }, seed: 3)
                : model;
        }

        var options = new TrainerOptions
        {
            MaxSteps = 4, BatchSize = 4, GradientAccumulationSteps = 2, BlockSize = 64, WarmupSteps = 1, LearningRate = 1e-3, LogInterval = 1, EvalInterval = 0,
            CheckpointInterval = 0, HardExamples = null, TensorBoard = false, Seed = 5, Precision = TrainingPrecision.BFloat16Masters,
        };
        using var straightModel = Build();
        Dictionary<string, float[]> straightMasters;
        using (var straight = new Trainer(straightModel, dataset, options with { OutputDirectory = temp.Combine("straight") }))
        {
            Assert.AreEqual(ScalarType.BFloat16, straightModel.DType, "the (frozen, with LoRA) base is bfloat16");
            Assert.IsTrue(straightModel.NamedParameters().All(p => p.Parameter.DType == ScalarType.BFloat16), "the trainable parameters are bfloat16");
            straight.Run();
            using (straight.UseMasterWeights()) straightMasters = TrainingFixture.Weights(straightModel);
        }

        string checkpoint;
        var resumedDir = temp.Combine("resumed");
        using (var firstModel = Build())
        using (var first = new Trainer(firstModel, dataset, options with { OutputDirectory = resumedDir }))
        {
            first.Run(untilStep: 2);
            checkpoint = first.SaveCheckpoint();
        }

        TorchOps.ManualSeed(424242);
        using var resumedModel = Build();
        using (var resumed = new Trainer(resumedModel, dataset, options with { OutputDirectory = resumedDir }))
        {
            Assert.AreEqual(2, resumed.LoadCheckpoint(checkpoint).Step);
            resumed.Run();
            using (resumed.UseMasterWeights())
            {
                foreach (var (name, values) in TrainingFixture.Weights(resumedModel)) CollectionAssert.AreEqual(straightMasters[name], values, $"master of {name}");
            }
        }

        var expected = MetricsWriter.ReadAll(Path.Combine(temp.Combine("straight"), "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(resumedDir, "metrics.jsonl"));
        Assert.AreEqual(4, expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Loss, actual[i].Loss, $"loss of step {expected[i].Step}");
            Assert.AreEqual(expected[i].GradNorm, actual[i].GradNorm, $"grad norm of step {expected[i].Step}");
        }

        Assert.IsLessThan(expected[0].Loss, expected[^1].Loss, "the loss falls");
    }

    [TestMethod]
    public void TrainCommand_PrecisionBf16Masters_TrainsAndSavesFloat32Masters()
    {
        var data = Path.Combine(Fixture.Root, "data");
        var run = Fixture.NewDirectory("cli-masters");
        var (exit, output, error) = CliRunner.Run("train", "--data", data, "--preset", "tiny", "--steps", "4", "--out", run, "--batch-size", "4",
            "--log-interval", "2", "--checkpoint-interval", "4", "--device", "cpu", "--threads", "1", "--precision", "bf16-masters", "--no-hard-examples");
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "done: step 4/4");
        foreach (var file in new[] { Path.Combine(run, "checkpoints", "step-00000004", TinyGpt.WeightsFileName), Path.Combine(run, "model", TinyGpt.WeightsFileName) })
        {
            using var weights = SafetensorsFile.Open(file);
            Assert.IsTrue(weights.Tensors.All(t => t.DType == SafetensorsDType.F32), $"{file}: float32 masters");
        }

        (exit, output, error) = CliRunner.Run("train", "--data", data, "--preset", "tiny", "--steps", "6", "--out", run, "--batch-size", "4",
            "--log-interval", "2", "--checkpoint-interval", "4", "--device", "cpu", "--threads", "1", "--precision", "masters", "--no-hard-examples",
            "--resume", Path.Combine(run, "checkpoints", "step-00000004"));
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "done: step 6/6", "the alias 'masters' and a resume");

        (exit, _, error) = CliRunner.Run("train", "--data", data, "--out", Fixture.NewDirectory("cli-bad-precision"), "--precision", "bf32");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(error, "bf16-masters", "the error lists the precisions");
    }

    [TestMethod]
    public void Launch_TwoRanksBf16Masters_TrackOneProcessOfEightAndResumeExactly()
    {
        // Data parallel: each rank widens its bfloat16 gradients into its masters' float32 gradients, which are all-reduced.
        GlooBackend.Require();
        var single = Fixture.NewDirectory("dp-masters-single");
        var (exit, output, error) = CliRunner.Run([.. DataParallelArguments(single, batchSize: 8)]);
        Assert.AreEqual(0, exit, error + output);
        var launched = Fixture.NewDirectory("dp-masters");
        (exit, output, error) = LaunchTwoRanks([.. DataParallelArguments(launched, batchSize: 4)]);
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "[rank 1] done: step 6/6");

        // Rows go to the ranks strided, so bfloat16 sums run in another order than one process's: agreement to bfloat16 noise.
        var expected = MetricsWriter.ReadAll(Path.Combine(single, "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(launched, "metrics.jsonl"));
        Assert.AreEqual(6, actual.Count);
        for (var i = 0; i < 6; i++)
        {
            Assert.AreEqual(expected[i].SupervisedTokens, actual[i].SupervisedTokens, $"step {i + 1}");
            Assert.AreEqual(expected[i].Loss, actual[i].Loss, 0.01 * expected[i].Loss, $"loss at step {i + 1}");
            Assert.AreEqual(expected[i].GradNorm, actual[i].GradNorm, 0.02 * expected[i].GradNorm, $"gradient norm at step {i + 1}: the all-reduced masters' gradients (one rank's alone would be about half)");
        }

        var resumed = Fixture.NewDirectory("dp-masters-resumed");
        (exit, output, error) = LaunchTwoRanks([.. DataParallelArguments(resumed, batchSize: 4), "--resume", Path.Combine(launched, "checkpoints", "step-00000003")]);
        Assert.AreEqual(0, exit, error + output);
        var after = MetricsWriter.ReadAll(Path.Combine(resumed, "metrics.jsonl"));
        CollectionAssert.AreEqual(actual.Where(m => m.Step > 3).Select(m => m.Loss).ToArray(), after.Select(m => m.Loss).ToArray(), "bit-identical losses after the resume");
        using var scope = new DisposeScope();
        using var a = SafetensorsFile.Open(Path.Combine(launched, "model", TinyGpt.WeightsFileName));
        using var b = SafetensorsFile.Open(Path.Combine(resumed, "model", TinyGpt.WeightsFileName));
        foreach (var info in a.Tensors)
        {
            Assert.AreEqual(SafetensorsDType.F32, info.DType, info.Name);
            CollectionAssert.AreEqual(a.ReadTensor(info.Name, Device.Cpu).ToArray<float>(), b.ReadTensor(info.Name, Device.Cpu).ToArray<float>(), $"{info.Name}: the same float32 masters");
        }
    }

    [TestMethod]
    public void OnPolicyGrpo_Masters_Bf16PolicyLearnsTheToyTask()
    {
        using var scope = new DisposeScope();
        using var model = OnPolicyGrpoTests.ToyModel();
        var options = OnPolicyGrpoTests.ToyOptions(30);
        using var trainer = new OnPolicyGrpoTrainer(model, OnPolicyGrpoTests.ToyPrompts, OnPolicyGrpoTests.CountTarget,
            options with { Training = options.Training with { Precision = TrainingPrecision.BFloat16Masters } });
        Assert.AreEqual(ScalarType.BFloat16, model.DType, "the trainer cast the policy after the engine took its masters");
        var steps = trainer.Run();
        var first = steps.Take(5).Average(s => s.Batch.RewardMean);
        var last = steps.TakeLast(5).Average(s => s.Batch.RewardMean);
        Assert.IsTrue(steps.All(s => double.IsFinite(s.Metrics.Loss)));
        Assert.IsTrue(last > first + 0.25, $"reward should rise measurably: {first:F3} -> {last:F3}");
    }

    private static IEnumerable<string> DataParallelArguments(string run, int batchSize) =>
    [
        "train", "--data", Path.Combine(Fixture.Root, "data"), "--preset", "tiny", "--steps", "6", "--out", run,
        "--batch-size", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--warmup", "1", "--log-interval", "1",
        "--checkpoint-interval", "3", "--eval-interval", "0", "--no-hard-examples", "--device", "cpu", "--threads", "1", "--precision", "bf16-masters",
    ];

    private static (int Exit, string Output, string Error) LaunchTwoRanks(string[] trainArguments)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "maskedsft.dll");
        var run = Task.Run(() => CliRunner.Run(["launch", "--nproc-per-node", "2", "--", "dotnet", cli, .. trainArguments]));
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(150)), "the 2-process launch did not end within 150 s");
        return run.Result;
    }

    private static float[] Values(Tensor t)
    {
        using var scope = new DisposeScope();
        return t.To(ScalarType.Float32).ToArray<float>();
    }

    /// <summary>Rows of random tokens with a padded tail (targets -100) and a random loss mask.</summary>
    private static (long[] X, long[] Y, float[] Mask, int Real)[] Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(r =>
        {
            var real = 4 + random.Next(T - 3);
            var x = Enumerable.Range(0, T).Select(_ => (long)random.Next(Vocab)).ToArray();
            var y = Enumerable.Range(0, T).Select(i => i < real ? (long)random.Next(Vocab) : -100L).ToArray();
            var mask = Enumerable.Range(0, T).Select(i => i < real && random.NextDouble() < 0.7 ? 1f : 0f).ToArray();
            mask[0] = 1f;
            return (x, y, mask, real);
        }).ToArray();
    }

    private static EpisodeBatch Batch((long[] X, long[] Y, float[] Mask, int Real)[] rows, int start, int count) => EpisodeBatches.From(rows, start, count, T);

    /// <summary>Loss sum (w + 3)²: a gradient pointing down every coordinate, in the parameter's dtype.</summary>
    private sealed class Quadratic(Parameter w) : ITrainingObjective<int>
    {
        public long PrepareStep(IReadOnlyList<int> window) => w.NumberOfElements;

        public MicroBatchLoss Compute(int batch)
        {
            var rows = w.Add(3.0).Square();                                                   // (4)
            var loss = rows.Sum();
            using var noGrad = new NoGradScope();
            return new MicroBatchLoss(loss, rows.Detach().To(ScalarType.Float32), TorchOps.OnesLike(rows), TorchOps.Zeros([]), 1);
        }
    }
}
