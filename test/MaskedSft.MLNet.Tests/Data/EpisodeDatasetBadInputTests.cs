// Damaged datasets: each problem gives an EpisodeDatasetException naming the file, episode and offset, with a hint.
using System.Buffers.Binary;
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDatasetBadInputTests
{
    // Five episodes of 10 tokens: episode e holds tokens [10e, 10e + 10).
    private static string WriteFive(TempDirectory temp, bool advantages = false) =>
        EpisodeFixtures.Write(temp.Combine("five"), EpisodeFixtures.Random(5, 10, 10, seed: 21, advantages: advantages), advantages: advantages);

    private static EpisodeDatasetException OpenFails(string path)
    {
        var e = Assert.ThrowsExactly<EpisodeDatasetException>(() => EpisodeDataset.Open(path).Dispose());
        Assert.IsFalse(string.IsNullOrWhiteSpace(e.Hint), "every error carries a hint");
        StringAssert.Contains(e.Message, "Hint:");
        return e;
    }

    [TestMethod]
    public void Open_TruncatedTokensBin_SizeMismatchNamingTheFirstCutEpisode()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        using (var stream = new FileStream(Path.Combine(path, "tokens.bin"), FileMode.Open))
        {
            stream.SetLength(2 * 23); // uint16: tokens 0..22 remain
        }

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.SizeMismatch, e.Kind);
        StringAssert.EndsWith(e.FilePath, "tokens.bin");
        Assert.AreEqual(2L, e.Episode);
        Assert.AreEqual(23L, e.TokenOffset);
        Assert.AreEqual(46L, e.ByteOffset);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void Open_WrongIndexMagic_WrongMagicAtByteZero()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.Patch(Path.Combine(path, "index.bin"), 0, "NOTANIDX"u8);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.WrongMagic, e.Kind);
        StringAssert.EndsWith(e.FilePath, "index.bin");
        Assert.AreEqual(0L, e.ByteOffset);
    }

    [TestMethod]
    public void Open_WrongHeaderMagic_WrongMagic()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.EditHeader(path, "magic", "\"nanoGPT\"");

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.WrongMagic, e.Kind);
        StringAssert.EndsWith(e.FilePath, "dataset.json");
        StringAssert.Contains(e.Message, "nanoGPT");
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(path));
    }

    [TestMethod]
    public void Open_FutureFormatVersion_ClearMessageNamingBothVersions()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.EditHeader(path, "formatVersion", "2");

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.UnsupportedVersion, e.Kind);
        StringAssert.Contains(e.Message, "format version 2 is newer");
        StringAssert.Contains(e.Message, "up to version 1");
        StringAssert.Contains(e.Hint, "upgrade MaskedSft.MLNet");
    }

    [TestMethod]
    public void Open_FutureIndexVersion_UnsupportedVersionAtByteEight()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.Patch(Path.Combine(path, "index.bin"), 8, [7, 0, 0, 0]);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.UnsupportedVersion, e.Kind);
        Assert.AreEqual(8L, e.ByteOffset);
        StringAssert.Contains(e.Message, "index version 7");
    }

    [TestMethod]
    public void Open_IndexEntryPastTheEnd_InvalidIndexEntryNamingTheEpisode()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, 15);
        EpisodeFixtures.Patch(Path.Combine(path, "index.bin"), 32 + (4 * 40) + 8, length);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.InvalidIndexEntry, e.Kind);
        Assert.AreEqual(4L, e.Episode);
        Assert.AreEqual(40L, e.TokenOffset);
        StringAssert.Contains(e.Message, "index past the end");
        StringAssert.Contains(e.Message, "[40, 55)");
    }

    [TestMethod]
    public void Open_TokenNotBelowVocabSize_TokenOutOfRangeWithEpisodeAndOffsets()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        Span<byte> token = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(token, EpisodeFixtures.Gpt2Vocab);
        EpisodeFixtures.Patch(Path.Combine(path, "tokens.bin"), 2 * 27, token);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.TokenOutOfRange, e.Kind);
        Assert.AreEqual(2L, e.Episode);
        Assert.AreEqual(27L, e.TokenOffset);
        Assert.AreEqual(54L, e.ByteOffset);
        StringAssert.Contains(e.Message, "token id 50304 is not below vocabSize 50304");
        StringAssert.Contains(e.Hint, "synthetic");
    }

    [TestMethod]
    public void Open_MaskValueTwo_InvalidMaskValueWithEpisodeAndOffset()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 13, [2]);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.InvalidMaskValue, e.Kind);
        StringAssert.EndsWith(e.FilePath, "mask.bin");
        Assert.AreEqual(1L, e.Episode);
        Assert.AreEqual(13L, e.TokenOffset);
        StringAssert.Contains(e.Message, "mask value 2");
    }

    [TestMethod]
    public void Open_NaNAdvantage_NonFiniteValueWithEpisodeAndOffset()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp, advantages: true);
        Span<byte> nan = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(nan, float.NaN);
        EpisodeFixtures.Patch(Path.Combine(path, "advantages.bin"), 4 * 31, nan);

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.NonFiniteValue, e.Kind);
        StringAssert.EndsWith(e.FilePath, "advantages.bin");
        Assert.AreEqual(3L, e.Episode);
        Assert.AreEqual(124L, e.ByteOffset);
    }

    [TestMethod]
    public void Open_DirectoryLeftByACrashedWrite_InterruptedWriteAndNoDatasetAtTheTarget()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("crashed");
        var writer = new EpisodeDatasetWriter(target, new EpisodeDatasetWriterOptions { VocabSize = 1000 });
        foreach (var episode in EpisodeFixtures.Random(5, 3, 9, seed: 22, vocab: 1000))
        {
            writer.AppendEpisode(episode.Tokens, episode.Mask);
        }

        writer.SimulateCrash();

        Assert.IsFalse(Directory.Exists(target));
        Assert.IsTrue(Directory.Exists(writer.StagingPath));
        Assert.IsFalse(EpisodeDataset.IsEpisodeDataset(writer.StagingPath));
        var e = OpenFails(writer.StagingPath);
        Assert.AreEqual(EpisodeDatasetErrorKind.InterruptedWrite, e.Kind);
        Assert.AreEqual(EpisodeDatasetErrorKind.MissingFile, OpenFails(target).Kind);
    }

    [TestMethod]
    public void Open_StagingDirectoryCompleteButNotRenamed_InterruptedWrite()
    {
        using var temp = new TempDirectory();
        var target = temp.Combine("almost");
        var writer = new EpisodeDatasetWriter(target, new EpisodeDatasetWriterOptions { VocabSize = 1000 })
        {
            BeforeRename = () => throw new IOException("simulated crash before rename"),
        };
        writer.AppendEpisode([1, 2, 3], [0, 1, 1]);

        Assert.ThrowsExactly<IOException>(writer.Complete);

        Assert.IsFalse(File.Exists(Path.Combine(writer.StagingPath, EpisodeDatasetFormat.WritingMarkerFileName)), "the marker is gone: only the name protects it");
        Assert.AreEqual(EpisodeDatasetErrorKind.InterruptedWrite, OpenFails(writer.StagingPath).Kind);
        Assert.IsFalse(Directory.Exists(target));
        writer.Dispose();
        Assert.IsFalse(Directory.Exists(writer.StagingPath), "Dispose removes the staging directory");
    }

    [TestMethod]
    public void Open_HeaderIsNotJson_InvalidHeaderWithLine()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        File.WriteAllText(Path.Combine(path, "dataset.json"), "{\n  \"magic\": \"MaskedSft.EpisodeDataset\",\n  oops\n}");

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.InvalidHeader, e.Kind);
        StringAssert.Contains(e.Message, "line 3");
    }

    [TestMethod]
    public void Open_MissingMaskFile_MissingFile()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        File.Delete(Path.Combine(path, "mask.bin"));

        var e = OpenFails(path);

        Assert.AreEqual(EpisodeDatasetErrorKind.MissingFile, e.Kind);
        StringAssert.EndsWith(e.FilePath, "mask.bin");
    }

    [TestMethod]
    public void Open_SupervisedCountEdited_CountMismatch()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.EditHeader(path, "supervisedTargetCount", "1");

        Assert.AreEqual(EpisodeDatasetErrorKind.CountMismatch, OpenFails(path).Kind);
    }

    [TestMethod]
    public void Open_StructureValidation_SkipsTheContentScan()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 13, [2]);

        using var dataset = EpisodeDataset.Open(path, EpisodeVerification.Structure);

        Assert.AreEqual(2, dataset.GetMask(13, 1)[0]);
    }

    [TestMethod]
    public void Verify_SeveralProblems_ReturnsEachUpToTheLimit()
    {
        using var temp = new TempDirectory();
        var path = WriteFive(temp);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 3, [5]);
        EpisodeFixtures.Patch(Path.Combine(path, "mask.bin"), 44, [9]);
        EpisodeFixtures.Patch(Path.Combine(path, "tokens.bin"), 2 * 12, [0xFF, 0xFF]);

        var all = EpisodeDataset.Verify(path);
        var limited = EpisodeDataset.Verify(path, maxErrors: 2);

        Assert.AreEqual(3, all.Count);
        CollectionAssert.AreEquivalent(
            new[] { EpisodeDatasetErrorKind.TokenOutOfRange, EpisodeDatasetErrorKind.InvalidMaskValue, EpisodeDatasetErrorKind.InvalidMaskValue },
            all.Select(x => x.Kind).ToArray());
        CollectionAssert.AreEquivalent(new long?[] { 1, 0, 4 }, all.Select(x => x.Episode).ToArray());
        Assert.AreEqual(2, limited.Count);
        Assert.AreEqual(0, EpisodeDataset.Verify(WriteFiveElsewhere(temp)).Count);
    }

    private static string WriteFiveElsewhere(TempDirectory temp) =>
        EpisodeFixtures.Write(temp.Combine("clean"), EpisodeFixtures.Random(5, 10, 10, seed: 21));
}
