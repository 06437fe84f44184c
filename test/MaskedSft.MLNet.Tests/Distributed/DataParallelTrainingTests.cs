// Issue 15's must-show: `maskedsft launch --nproc-per-node 2 -- train --batch-size 4` over Gloo on 127.0.0.1 trains exactly
// like `maskedsft train --batch-size 8` (loss at every step, final weights), resumes exactly, merges both ranks' hard
// examples, and ends with a clear error and no half-written checkpoint when a rank is killed.
using System.Diagnostics;
using MaskedSft.Cli.Launch;
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Training;
using MaskedSft.Torch;
using MaskedSft.Torch.Distributed;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Tests.Distributed;

[TestClass]
[DoNotParallelize]
public sealed class DataParallelTrainingTests : TrainingTestClass<DataParallelTrainingTests>
{
    private const int Steps = 6;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);
    private static string? s_twoRankRun;

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "maskedsft.dll");

    [TestMethod]
    public void Launch_TwoRanksOfFour_LossAndWeightsEqualOneProcessOfEight()
    {
        GlooBackend.Require();
        var single = Fixture.NewDirectory("dp-single");
        var (exit, output, error) = CliRunner.Run([.. TrainArguments(single, batchSize: 8)]);
        Assert.AreEqual(0, exit, error + output);
        var launched = TwoRankRun();

        var expected = MetricsWriter.ReadAll(Path.Combine(single, "metrics.jsonl"));
        var actual = MetricsWriter.ReadAll(Path.Combine(launched, "metrics.jsonl"));
        CollectionAssert.AreEqual(Enumerable.Range(1, Steps).Select(s => (long)s).ToArray(), actual.Select(m => m.Step).ToArray());
        for (var i = 0; i < Steps; i++)
        {
            AssertRelative(expected[i].Loss, actual[i].Loss, 1e-5, $"loss at step {i + 1}");
            Assert.AreEqual(expected[i].SupervisedTokens, actual[i].SupervisedTokens, $"global supervised targets at step {i + 1}");
            AssertRelative(expected[i].GradNorm, actual[i].GradNorm, 1e-4, $"gradient norm at step {i + 1}");
        }

        // Within 1e-5 of max(1, |w|): AdamW divides by sqrt(v), so near-zero gradients (fresh biases) turn the sum's rounding
        // into relative differences of ~1e-3 on values of ~1e-3, i.e. ~1e-6 absolute.
        AssertWeightsClose(Path.Combine(single, "model", "model.safetensors"), Path.Combine(launched, "model", "model.safetensors"), 1e-5);
        Assert.AreNotEqual(expected[0].Loss, expected[Steps - 1].Loss, "the run trains (the loss moves)");
    }

    [TestMethod]
    public void Launch_TwoRanks_HardExamplesOfBothRanksMergedOnRankZero()
    {
        GlooBackend.Require();
        var run = TwoRankRun();
        var lines = File.ReadAllLines(Path.Combine(run, "hard_examples.jsonl"));
        Assert.AreEqual(2, lines.Length, "snapshots at steps 3 and 6, written once (by rank 0)");
        var last = System.Text.Json.JsonSerializer.Deserialize<HardExamplePayload>(lines[^1], HardExampleJson.Options)!;
        Assert.AreEqual(2, last.ProcessCount);
        Assert.AreEqual(-1, last.ProcessIndex, "a merged payload");
        Assert.AreEqual(4, last.Entries.Count);
        CollectionAssert.AreEquivalent(new[] { 0, 1 }, last.Entries.Select(e => e.ProcessIndex).Distinct().ToArray(), "round-robin: both ranks hold slots");
        var checkpoint = Path.Combine(run, "checkpoints", "step-00000006");
        Assert.IsTrue(File.Exists(Path.Combine(checkpoint, "hard_examples.json")));
        Assert.IsTrue(File.Exists(Path.Combine(checkpoint, "hard_examples.rank1.json")), "rank 1's tracker is checkpointed too");
    }

    [TestMethod]
    public void Launch_TwoRanksResumedFromStepThree_EqualsTheUninterruptedRun()
    {
        GlooBackend.Require();
        var full = TwoRankRun();
        var resumed = Fixture.NewDirectory("dp-resumed");
        var (exit, output, error) = Launch([.. TrainArguments(resumed, batchSize: 4), "--resume", Path.Combine(full, "checkpoints", "step-00000003")]);
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "[rank 1] resuming from");
        var expected = MetricsWriter.ReadAll(Path.Combine(full, "metrics.jsonl")).Where(m => m.Step > 3).ToArray();
        var actual = MetricsWriter.ReadAll(Path.Combine(resumed, "metrics.jsonl"));
        CollectionAssert.AreEqual(expected.Select(m => m.Step).ToArray(), actual.Select(m => m.Step).ToArray());
        CollectionAssert.AreEqual(expected.Select(m => m.Loss).ToArray(), actual.Select(m => m.Loss).ToArray(), "bit-identical losses after the resume");
        AssertWeightsClose(Path.Combine(full, "model", "model.safetensors"), Path.Combine(resumed, "model", "model.safetensors"), 0.0);
    }

    [TestMethod]
    public void TrainTwoRanks_OneKilled_OtherEndsWithClearErrorAndNoHalfCheckpoint()
    {
        GlooBackend.Require();
        var run = Fixture.NewDirectory("dp-killed");
        var plan = LaunchPlan.Create(2, nodes: 1, nodeRank: 0, masterAddress: "127.0.0.1", masterPort: 0);
        var outputs = new[] { new StringWriter(), new StringWriter() };
        var errors = new[] { new StringWriter(), new StringWriter() };
        var ranks = new List<RankProcess>();
        try
        {
            for (var local = 0; local < 2; local++)
            {
                var arguments = TrainArguments(run, batchSize: 4, steps: 500, checkpointInterval: 1).Concat(["--dist-timeout", "60"]);
                ranks.Add(RankProcess.Start(local, ["dotnet", CliDll, .. arguments], plan.EnvironmentOf(local),
                    new LineSink(TextWriter.Synchronized(outputs[local]), TextWriter.Synchronized(errors[local]))));
            }

            var watch = Stopwatch.StartNew();
            while (!outputs[1].ToString().Contains(" 3/500 [", StringComparison.Ordinal) && !ranks[0].Exited.IsCompleted && watch.Elapsed < Limit)
            {
                Thread.Sleep(50);
            }

            Assert.IsFalse(ranks[0].Exited.IsCompleted, "rank 0 ended early: " + errors[0] + outputs[0]);
            Assert.IsTrue(watch.Elapsed < Limit, "the ranks did not reach step 3 in time: " + outputs[1]);
            ranks[1].Kill();
            Assert.IsTrue(ranks[0].Exited.Wait(TimeSpan.FromSeconds(60)), "rank 0 kept running after rank 1 was killed");
            Assert.AreEqual(2, ranks[0].ExitCode, errors[0].ToString());
            StringAssert.Contains(errors[0].ToString(), "error: rank 0 of 2 (gloo)");
            var checkpoints = Path.Combine(run, "checkpoints");
            Assert.IsFalse(Directory.EnumerateDirectories(checkpoints).Any(d => Path.GetFileName(d).StartsWith(".tmp-", StringComparison.Ordinal)),
                "a temporary checkpoint folder was left behind");
            var complete = CheckpointStore.ListIn(checkpoints);
            Assert.IsTrue(complete.Count > 0);
            foreach (var c in complete)
            {
                Assert.AreEqual(c.Step, CheckpointMetadata.Read(c.Path).Step, c.Path);
                Assert.IsTrue(File.Exists(Path.Combine(c.Path, "model.safetensors")), c.Path);
                Assert.IsTrue(File.Exists(Path.Combine(c.Path, "hard_examples.rank1.json")), c.Path);
            }
        }
        finally
        {
            foreach (var r in ranks)
            {
                r.Kill();
                r.Dispose();
            }
        }
    }

    /// <summary>The 2-process run of <see cref="Steps"/> steps (batch 4 per rank), launched once for the class.</summary>
    private static string TwoRankRun()
    {
        if (s_twoRankRun is { } done) return done;
        var run = Fixture.NewDirectory("dp-launched");
        var (exit, output, error) = Launch([.. TrainArguments(run, batchSize: 4)]);
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "[rank 0] data parallel: rank 0 of 2 (Gloo, cpu); global batch 8 rows");
        StringAssert.Contains(output, "[rank 1] done: step 6/6");
        StringAssert.Contains(output, "[rank 0] data parallel (rank 0 of 2): ");
        StringAssert.Contains(output, " ms per step in the gradient and statistics all-reduces");
        s_twoRankRun = run;
        return run;
    }

    private static (int Exit, string Output, string Error) Launch(string[] trainArguments)
    {
        var run = Task.Run(() => CliRunner.Run(["launch", "--nproc-per-node", "2", "--", "dotnet", CliDll, .. trainArguments]));
        Assert.IsTrue(run.Wait(Limit), $"the 2-process launch did not end within {Limit}");
        return run.Result;
    }

    private static IEnumerable<string> TrainArguments(string run, int batchSize, int steps = Steps, int checkpointInterval = 3) =>
    [
        "train", "--data", Path.Combine(Fixture.Root, "data"), "--preset", "tiny", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--out", run, "--batch-size", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "--warmup", "1", "--log-interval", "1",
        "--checkpoint-interval", checkpointInterval.ToString(System.Globalization.CultureInfo.InvariantCulture), "--eval-interval", "0",
        "--max-hard-examples-buffer", "4", "--hard-example-log-interval", "3", "--device", "cpu", "--threads", "1",
    ];

    private static void AssertRelative(double expected, double actual, double tolerance, string what) =>
        Assert.IsTrue(Math.Abs(expected - actual) <= tolerance * Math.Max(Math.Abs(expected), 1e-12), $"{what}: expected {expected:R}, got {actual:R}");

    private static void AssertWeightsClose(string expectedPath, string actualPath, double tolerance)
    {
        using var scope = new DisposeScope();
        using var expected = SafetensorsFile.Open(expectedPath);
        using var actual = SafetensorsFile.Open(actualPath);
        CollectionAssert.AreEqual(expected.Tensors.Select(t => t.Name).ToArray(), actual.Tensors.Select(t => t.Name).ToArray());
        foreach (var info in expected.Tensors)
        {
            var a = expected.ReadTensor(info.Name, Device.Cpu).To(ScalarType.Float64).ToArray<double>();
            var b = actual.ReadTensor(info.Name, Device.Cpu).To(ScalarType.Float64).ToArray<double>();
            var worst = a.Zip(b, (x, y) => Math.Abs(x - y) / Math.Max(Math.Abs(x), 1.0)).Max();
            Assert.IsTrue(worst <= tolerance, $"{info.Name}: largest difference relative to max(1, |w|) {worst:G3} > {tolerance:G3}");
        }
    }
}
