// Mock training end to end: loss falls, hard examples logged, checkpoint saved, reloaded and verified; failures exit non-zero.
using MaskedSft.MLNet.HardExamples;
using MaskedSft.MLNet.Training;
using MaskedSft.Testing.Mock;
using MaskedSft.MLNet.Tests.Safetensors;
using MaskedSft.Torch;
using MaskedSft.Torch.Optim;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
[DoNotParallelize]
public sealed class MockTrainingRunTests
{
    private static TrainerOptions Small(string checkpointDir) => new()
    {
        MaxSteps = 40, BatchSize = 8, LogInterval = 10, HardExamples = new HardExampleTrackerOptions { LogInterval = 20, Capacity = 12 }, OutputDirectory = checkpointDir, Seed = 1,
    };

    [TestMethod]
    public void Run_SmallConfig_TrainsTracksAndVerifiesCheckpointReload()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        long live = TensorCounters.SettledLive();
        var result = new MockTrainingRun(Small(dir.Path), output).Run();
        var text = output.ToString();
        Assert.IsTrue(result.Success, result.FailureReason + "\n" + text);
        Assert.IsTrue(result.CheckpointVerified);
        Assert.AreEqual(live, TensorCounters.Live, "the run frees every tensor");
        Assert.HasCount(40, result.Losses);
        Assert.IsLessThan(result.Losses.Take(10).Average(), result.Losses.TakeLast(10).Average(), "the loss falls");
        Assert.HasCount(2, result.HardExamplePayloads, "listings at steps 20 and 39");
        Assert.IsTrue(result.HardExamplePayloads.All(p => p.Entries.Count is > 0 and <= 12));
        Assert.IsTrue(Directory.Exists(Path.Combine(dir.Path, "step_000040")));
        StringAssert.Contains(text, "Step    0: loss=");
        StringAssert.Contains(text, "grad_norm=");
        StringAssert.Contains(text, "param_norm=");
        StringAssert.Contains(text, "token_acc=");
        StringAssert.Contains(text, "max_per_sample_loss=");
        StringAssert.Contains(text, "Hard examples: ");
        StringAssert.Contains(text, "#1: loss=");
        StringAssert.Contains(text, "lang_action=move ");
        StringAssert.Contains(text, "Checkpoint reload verified.");
        StringAssert.Contains(text, "Training complete!");
    }

    [TestMethod]
    public void Run_NoHardExamples_NoListingsAndStillVerifies()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var result = new MockTrainingRun(Small(dir.Path) with { HardExamples = null, MaxSteps = 12 }, output).Run();
        Assert.IsTrue(result.Success, result.FailureReason);
        Assert.IsEmpty(result.HardExamplePayloads);
        Assert.DoesNotContain("Hard examples:", output.ToString());
    }

    [TestMethod]
    public void Run_GradientAccumulation_TrainsAndStillVerifies()
    {
        using var dir = new TempDirectory();
        var output = new StringWriter();
        var result = new MockTrainingRun(Small(dir.Path) with { MaxSteps = 6, BatchSize = 4, GradientAccumulationSteps = 2, HardExamples = null }, output).Run();
        Assert.IsTrue(result.Success, result.FailureReason + "\n" + output);
        StringAssert.Contains(output.ToString(), "Batch size: 4 x 2 micro-batches");
    }

    [TestMethod]
    public void Run_SameSeed_SameLosses()
    {
        using var dir = new TempDirectory();
        var a = new MockTrainingRun(Small(dir.File("a")) with { MaxSteps = 8 }, TextWriter.Null).Run();
        var b = new MockTrainingRun(Small(dir.File("b")) with { MaxSteps = 8 }, TextWriter.Null).Run();
        CollectionAssert.AreEqual(a.Losses.ToArray(), b.Losses.ToArray());
    }

    [TestMethod]
    public void Run_CheckpointDirIsAFile_FailsWithReason()
    {
        using var dir = new TempDirectory();
        var file = dir.File("not-a-directory");
        File.WriteAllText(file, "x");
        var output = new StringWriter();
        var result = new MockTrainingRun(Small(file) with { MaxSteps = 3 }, output).Run();
        Assert.IsFalse(result.Success);
        StringAssert.Contains(result.FailureReason!, "not-a-directory");
        StringAssert.Contains(output.ToString(), "FAILED:");
    }

    [TestMethod]
    public void Load_CheckpointWithCorruptedModelFile_Throws()
    {
        using var dir = new TempDirectory();
        var result = new MockTrainingRun(Small(dir.Path) with { MaxSteps = 3 }, TextWriter.Null).Run();
        Assert.IsTrue(result.Success, result.FailureReason);
        var modelFile = Path.Combine(result.CheckpointPath!, "model.safetensors");
        var bytes = File.ReadAllBytes(modelFile);
        File.WriteAllBytes(modelFile, bytes[..^100]);
        var data = new MockEpisodeSourceOptions { BatchSize = 8, Seed = 1 };
        using var model = new MockLossModel(data, 1);
        using var optimizer = new AdamW(model.NamedParameters());
        var ex = Assert.Throws<MaskedSft.Torch.Safetensors.SafetensorsFormatException>(() => MockCheckpoint.Load(result.CheckpointPath!, model, optimizer));
        StringAssert.Contains(ex.Message, "model.safetensors");
        File.Delete(Path.Combine(result.CheckpointPath!, "trainer_state.json"));
        Assert.Throws<InvalidDataException>(() => MockCheckpoint.Load(result.CheckpointPath!, model, optimizer));
    }
}
