// `maskedsft dataset info|verify`, invoked in-process through the command catalog with captured output.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class DatasetCommandTests
{
    [TestMethod]
    public void DatasetInfo_ValidDataset_PrintsHeaderCountsAndHistogram()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(10, 8, 8, seed: 41, validationEvery: 5));

        var (exit, output, error) = CliRunner.Run("dataset", "info", path);

        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "MaskedSft.EpisodeDataset v1");
        StringAssert.Contains(output, "uint16, vocab size 50,304, pad id 50256");
        StringAssert.Contains(output, "tokenizer     synthetic");
        StringAssert.Contains(output, "episodes      10 (train 8, validation 2)");
        StringAssert.Contains(output, "tokens        160 (train 128, validation 32)");
        StringAssert.Contains(output, "targets       150, supervised 80 (53.3%");
        StringAssert.Contains(output, "16-31");
        StringAssert.Contains(output, "Length histogram");
    }

    [TestMethod]
    public void DatasetVerify_ValidDataset_ExitsZero()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(4, 8, 8, seed: 42));

        var (exit, output, _) = CliRunner.Run("dataset", "verify", path);

        Assert.AreEqual(0, exit);
        StringAssert.Contains(output, "OK:");
        StringAssert.Contains(output, "4 episodes");
    }

    [TestMethod]
    public void DatasetVerify_DamagedDataset_ExitsNonZeroListingTheFirstErrors()
    {
        using var temp = new TempDirectory();
        var path = EpisodeFixtures.Write(temp.Combine("sft"), EpisodeFixtures.PromptResponse(4, 8, 8, seed: 43));
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 20, [3]);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 40, [4]);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 60, [5]);

        var (exit, _, error) = CliRunner.Run("dataset", "verify", path, "--max-errors", "2");

        Assert.AreEqual(1, exit);
        StringAssert.Contains(error, "FAILED");
        StringAssert.Contains(error, "2+ error(s)");
        StringAssert.Contains(error, "episode 1, token 20, byte 20: mask value 3");
        StringAssert.Contains(error, "episode 2, token 40, byte 40: mask value 4");
        Assert.IsFalse(error.Contains("mask value 5", StringComparison.Ordinal));
    }

    [TestMethod]
    public void DatasetInfo_InterruptedWrite_ExitsNonZeroWithTheReason()
    {
        using var temp = new TempDirectory();
        var writer = new EpisodeDatasetWriter(temp.Combine("crashed"), new EpisodeDatasetWriterOptions { VocabSize = 100 });
        writer.AppendEpisode([1, 2], [0, 1]);
        writer.SimulateCrash();

        var (exit, _, error) = CliRunner.Run("dataset", "info", writer.StagingPath);

        Assert.AreEqual(1, exit);
        StringAssert.Contains(error, "did not complete");
        StringAssert.Contains(error, "maskedsft dataset verify");
    }
}
