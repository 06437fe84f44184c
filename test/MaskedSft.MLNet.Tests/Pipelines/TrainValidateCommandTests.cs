// `maskedsft train` and `maskedsft validate`, invoked in-process through the command catalog with captured output.
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Pipelines;

[TestClass]
[DoNotParallelize]
public sealed class TrainValidateCommandTests : TrainingTestClass<TrainValidateCommandTests>
{
    [TestMethod]
    public void Train_ThenResume_WritesRunDirectoryAndContinues()
    {
        var run = Fixture.NewDirectory("cli-run");
        var data = Path.Combine(Fixture.Root, "data");
        var (exit, output, error) = CliRunner.Run("train", "--data", data, "--preset", "tiny", "--steps", "8", "--out", run, "--batch-size", "4",
            "--log-interval", "2", "--checkpoint-interval", "4", "--device", "cpu", "--threads", "1");
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "step 8/8");
        StringAssert.Contains(output, "done: step 8/8");
        Assert.AreEqual(4, MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl")).Count);
        CollectionAssert.AreEqual(new long[] { 4, 8 }, CheckpointStore.ListIn(Path.Combine(run, "checkpoints")).Select(c => c.Step).ToArray());
        Assert.IsTrue(File.Exists(Path.Combine(run, "model", "model.safetensors")));

        (exit, output, error) = CliRunner.Run("train", "--data", data, "--steps", "12", "--out", run, "--batch-size", "4", "--log-interval", "2",
            "--checkpoint-interval", "4", "--device", "cpu", "--resume", Path.Combine(run, "checkpoints", "step-00000008"));
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "resuming from");
        StringAssert.Contains(output, "step 12/12");
        CollectionAssert.AreEqual(new long[] { 2, 4, 6, 8, 10, 12 }, MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl")).Select(m => m.Step).ToArray());
    }

    [TestMethod]
    public void Train_HardExamples_ListedInOutputFilesAndReport()
    {
        var run = Fixture.NewDirectory("cli-hard");
        var (exit, output, error) = CliRunner.Run("train", "--data", Path.Combine(Fixture.Root, "data"), "--steps", "6", "--out", run, "--batch-size", "4",
            "--warmup", "1", "--log-interval", "3", "--max-hard-examples-buffer", "4", "--hard-example-log-interval", "3", "--device", "cpu", "--threads", "1");
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "hard examples at step 3: ");
        StringAssert.Contains(output, "hard examples at step 6: ");
        StringAssert.Contains(output, "#1 loss ");
        StringAssert.Contains(output, "hard examples show token ids", "the synthetic dataset names no tokenizer file");
        StringAssert.Contains(output, "report: " + Path.Combine(run, "report.md"));
        Assert.AreEqual(2, File.ReadAllLines(Path.Combine(run, "hard_examples.jsonl")).Length);
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "report.md")), "| 1 | ");
        var sections = MetricsWriter.ReadAll(Path.Combine(run, "metrics.jsonl")).Select(m => m.HardExamples).ToArray();
        Assert.AreEqual(2, sections.Length);
        Assert.IsTrue(sections.All(h => h is { BufferSize: > 0 and <= 4 }), "the buffer holds 1 to 4 entries");
        Assert.AreEqual(20, sections[1]!.SamplesSeen, "steps 2-6 of 4 rows (warmup 1)");
    }

    [TestMethod]
    public void Train_NoHardExamples_TracksNothing()
    {
        var run = Fixture.NewDirectory("cli-no-hard");
        var (exit, output, error) = CliRunner.Run("train", "--data", Path.Combine(Fixture.Root, "data"), "--steps", "4", "--out", run, "--batch-size", "4",
            "--no-hard-examples", "--device", "cpu", "--threads", "1");
        Assert.AreEqual(0, exit, error + output);
        Assert.IsFalse(output.Contains("hard examples", StringComparison.Ordinal), output);
        Assert.IsFalse(File.Exists(Path.Combine(run, "hard_examples.jsonl")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(run, "report.md")), "Hard-example tracking was off.");
    }

    [TestMethod]
    public void Train_BadHardExampleOptions_ExitWithTheOptionNamed()
    {
        var (exit, _, error) = CliRunner.Run("train", "--data", Path.Combine(Fixture.Root, "data"), "--out", Fixture.NewDirectory("bad-hard"),
            "--max-hard-examples-buffer", "0");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(error, "--max-hard-examples-buffer must be a positive number of entries");
        (exit, _, error) = CliRunner.Run("train", "--data", Path.Combine(Fixture.Root, "data"), "--out", Fixture.NewDirectory("bad-hard"),
            "--hard-example-log-interval", "-1");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(error, "--hard-example-log-interval must be a positive number of steps");
    }

    [TestMethod]
    public void Train_NotADataset_ExitsWithMessage()
    {
        var (exit, _, error) = CliRunner.Run("train", "--data", Fixture.Root, "--out", Fixture.NewDirectory("bad"));
        Assert.AreEqual(2, exit);
        StringAssert.StartsWith(error, "error: ");
    }

    [TestMethod]
    public void Validate_BuiltInModelWithoutTraining_AllPass()
    {
        var (exit, output, error) = CliRunner.Run("validate", "--skip-training");
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "corrupted-masked-targets                     PASS");
        StringAssert.Contains(output, "7/7 checks passed");
        StringAssert.Contains(output, "ALL CHECKS PASSED");
    }

    [TestMethod]
    public void Validate_Checkpoint_LoadsItAndPasses()
    {
        var run = Fixture.NewDirectory("cli-validate");
        var (exit, _, error) = CliRunner.Run("train", "--data", Path.Combine(Fixture.Root, "data"), "--steps", "2", "--out", run, "--batch-size", "4", "--device", "cpu");
        Assert.AreEqual(0, exit, error);
        string output;
        (exit, output, error) = CliRunner.Run("validate", "--checkpoint", run, "--skip-training");
        Assert.AreEqual(0, exit, error + output);
        StringAssert.Contains(output, "model: checkpoint");
        StringAssert.Contains(output, "step-00000002");
        (exit, _, error) = CliRunner.Run("validate", "--checkpoint", Fixture.NewDirectory("missing"));
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "no checkpoint found");
    }
}
