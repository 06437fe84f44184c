// The doctor's dataset and checkpoint checks: clean data passes; each injected setup bug is caught and explained.
using System.CommandLine;
using MaskedSft.Cli;
using MaskedSft.MLNet.Data;
using MaskedSft.MLNet.Models;
using MaskedSft.MLNet.Tests.Training;
using MaskedSft.Torch.Safetensors;
using MaskedSft.MLNet.Training;
using MaskedSft.MLNet.Doctor;
using MaskedSft.Testing;

namespace MaskedSft.MLNet.Tests.Validation;

[TestClass]
[DoNotParallelize]
public sealed class DoctorChecksTests : TrainingTestClass<DoctorChecksTests>
{
    [TestMethod]
    public void RunAll_SyntheticChats_AllPass()
    {
        var report = DatasetDoctor.RunAll(Fixture.Dataset, blockSize: 32);
        Assert.IsTrue(report.AllPassed, report.ToTable());
        Assert.IsTrue(report.Results.Single(r => r.Name == DatasetDoctor.LoaderAlignmentName).Measured["rows_checked"] > 0);
    }

    [TestMethod]
    public void DataChecks_InjectedBugs_EachCaught()
    {
        var path = Fixture.NewDirectory("buggy");
        using (var w = new EpisodeDatasetWriter(path, new EpisodeDatasetWriterOptions { VocabSize = 64 }))
        {
            w.AppendEpisode([1, 2, 3, 4], [0, 0, 0, 0], metadata: new EpisodeMetadata { Score = 1, GroupId = 7 });              // nothing supervised
            w.AppendEpisode([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 0, 0, 0, 0, 1, 1], metadata: new EpisodeMetadata { Score = 1, GroupId = 7 }); // emptied at T = 4
            w.AppendEpisode([5, 6, 7], [0, 1, 1], metadata: new EpisodeMetadata { Score = 2, GroupId = 8 });
            w.AppendEpisode([5, 6, 8], [0, 1, 1], metadata: new EpisodeMetadata { Score = 2, GroupId = 8 });
            w.Complete();
        }

        using var ds = EpisodeDataset.Open(path);
        var mask = DatasetDoctor.MaskContent(ds);
        Assert.IsFalse(mask.Passed);
        StringAssert.Contains(mask.Explanation, "episode 0");
        var truncation = DatasetDoctor.Truncation(ds, blockSize: 4);
        Assert.IsFalse(truncation.Passed);
        Assert.AreEqual(1.0, truncation.Measured["emptied_by_truncation"]);
        Assert.IsTrue(DatasetDoctor.Truncation(ds, blockSize: 16).Passed);
        var groups = DatasetDoctor.RewardGroups(ds);
        Assert.IsFalse(groups.Passed, "both groups have equal scores");
        Assert.AreEqual(2.0, groups.Measured["zero_std_groups"]);
        Assert.IsTrue(DatasetDoctor.LoaderAlignment(ds, 4).Passed, "the loader itself aligns masks correctly");
    }

    [TestMethod]
    public void CheckpointContents_TrainedAndTampered_PassThenFail()
    {
        var run = Fixture.NewDirectory("ckpt");
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 2, BatchSize = 4, EvalInterval = 0, OutputDirectory = run }))
        {
            trainer.Run();
        }

        var ok = CheckpointDoctor.Contents(run);
        Assert.IsTrue(ok.Passed, ok.Explanation);
        Assert.AreEqual(2.0, ok.Measured["step"]);

        // "Optimizer state saved but not for every parameter": drop the moments of one parameter.
        var folder = Trainer.ResolveCheckpoint(run);
        var optimizerPath = Path.Combine(folder, CheckpointMetadata.OptimizerFileName);
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(optimizerPath))
        {
            foreach (var t in file.Tensors.Where(t => !t.Name.StartsWith("transformer.wpe.weight.", StringComparison.Ordinal)))
            {
                writer.Add(t.Name, t.DType, t.Shape, file.GetSpan(t.Name));
            }
        }

        writer.Save(optimizerPath);
        var bad = CheckpointDoctor.Contents(run);
        Assert.IsFalse(bad.Passed);
        StringAssert.Contains(bad.Explanation, "1 parameter(s) have no optimizer moments");

        var (exit, output) = Doctor("doctor", "--checkpoint", run);
        Assert.AreEqual(1, exit);
        StringAssert.Contains(output, "checkpoint-contents  FAIL");
        (exit, output) = Doctor("doctor", "--data", Path.Combine(Fixture.Root, "data"), "--block-size", "32");
        Assert.AreEqual(0, exit, output);
        StringAssert.Contains(output, "DOCTOR: no problem found");
    }

    [TestMethod]
    public void CheckpointContents_HardExampleState_CheckedWhenNamed()
    {
        var run = Fixture.NewDirectory("ckpt-hard");
        using (var model = new TinyGpt(Fixture.Config(), seed: 1))
        using (var trainer = new Trainer(model, Fixture.Dataset, new TrainerOptions { MaxSteps = 2, BatchSize = 4, EvalInterval = 0, OutputDirectory = run }))
        {
            trainer.Run();
        }

        var ok = CheckpointDoctor.Contents(run);
        Assert.IsTrue(ok.Passed, ok.Explanation);
        Assert.IsGreaterThanOrEqualTo(1.0, ok.Measured["hard_examples"]);
        StringAssert.Contains(ok.Explanation, "hard examples");

        var state = Path.Combine(Trainer.ResolveCheckpoint(run), "hard_examples.json");
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"capacity\":50", "\"capacity\":0", StringComparison.Ordinal));
        var bad = CheckpointDoctor.Contents(run);
        Assert.IsFalse(bad.Passed);
        StringAssert.Contains(bad.Explanation, "invalid options");

        File.Delete(state);
        bad = CheckpointDoctor.Contents(run);
        Assert.IsFalse(bad.Passed);
        StringAssert.Contains(bad.Explanation, "trainer.json names hard_examples.json but the file is missing");
    }

    private static (int Exit, string Output) Doctor(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString() + error);
    }
}
