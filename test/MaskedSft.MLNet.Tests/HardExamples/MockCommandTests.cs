// The `mock-train` and `mock-hard-examples` commands, invoked in-process through the command catalog.
using MaskedSft.MLNet.Tests.Safetensors;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
[DoNotParallelize]
public sealed class MockCommandTests
{
    private static (int Exit, string Output, string Error) Invoke(params string[] args) => CliRunner.Run(args);

    [TestMethod]
    public void MockHardExamples_Defaults_PrintsChecksAndTestPassed()
    {
        var (exit, output, error) = Invoke("mock-hard-examples");
        Assert.AreEqual(0, exit, output + error);
        StringAssert.Contains(output, "Steps: 50");
        StringAssert.Contains(output, "Batch size: 16");
        StringAssert.Contains(output, "Buffer size: 50");
        StringAssert.Contains(output, "HARD EXAMPLES AT STEP 50:");
        StringAssert.Contains(output, "image_shape=(64, 64, 3)");
        StringAssert.Contains(output, "Total samples seen: 800");
        StringAssert.Contains(output, "Final buffer size: 50");
        StringAssert.Contains(output, "✓ Buffer size constraint satisfied");
        StringAssert.Contains(output, "✓ Buffer correctly sorted by loss");
        StringAssert.Contains(output, "✓ Keys match buffer entries");
        StringAssert.Contains(output, "✓ All buffer entries have valid images");
        StringAssert.Contains(output, "TEST PASSED");
    }

    [TestMethod]
    public void MockHardExamples_CustomFlags_Respected()
    {
        var (exit, output, _) = Invoke("mock-hard-examples", "--steps", "12", "--batch-size", "4", "--buffer-size", "5");
        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, "Total samples seen: 48");
        StringAssert.Contains(output, "TEST PASSED");
        Assert.IsTrue(output.Contains("Final buffer size: 5", StringComparison.Ordinal) || output.Contains("Final buffer size: 4", StringComparison.Ordinal) || output.Contains("Final buffer size: 3", StringComparison.Ordinal), output);
    }

    [TestMethod]
    public void MockHardExamples_ZeroBuffer_ExitsNonZero()
    {
        var (exit, _, error) = Invoke("mock-hard-examples", "--buffer-size", "0");
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(error, "mock-hard-examples");
    }

    [TestMethod]
    public void MockTrain_SmallRun_ExitsZeroWithVerifiedCheckpoint()
    {
        using var dir = new TempDirectory();
        var (exit, output, error) = Invoke("mock-train", "--num-train-steps", "12", "--batch-size", "4", "--log-interval", "5",
            "--hard-example-log-interval", "6", "--max-hard-examples-buffer", "8", "--checkpoint-dir", dir.Path, "--seed", "3");
        Assert.AreEqual(0, exit, output + error);
        StringAssert.Contains(output, "Steps: 12");
        StringAssert.Contains(output, "Step    5: loss=");
        StringAssert.Contains(output, "Hard examples: ");
        StringAssert.Contains(output, "Checkpoint reload verified.");
        Assert.IsTrue(Directory.Exists(Path.Combine(dir.Path, "step_000012")));
    }

    [TestMethod]
    public void MockTrain_NoHardExamplesFlag_TurnsTrackingOff()
    {
        using var dir = new TempDirectory();
        var (exit, output, _) = Invoke("mock-train", "--num-train-steps", "6", "--no-hard-examples", "--checkpoint-dir", dir.Path);
        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, "Track hard examples: False");
        Assert.DoesNotContain("Hard examples:", output);
    }

    [TestMethod]
    public void MockTrain_Failure_ExitsNonZero()
    {
        using var dir = new TempDirectory();
        var file = dir.File("file");
        File.WriteAllText(file, "x");
        var (exit, output, _) = Invoke("mock-train", "--num-train-steps", "2", "--checkpoint-dir", file);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(output, "FAILED:");
        var (badExit, _, error) = Invoke("mock-train", "--num-train-steps", "0");
        Assert.AreEqual(2, badExit);
        StringAssert.Contains(error, "MaxSteps");
    }
}
