// Tests of the checkpoints directory: atomic save, keep-last-N pruning, failed saves leave nothing.
using MaskedSft.MLNet.Training;

namespace MaskedSft.MLNet.Tests.Training;

[TestClass]
public sealed class CheckpointStoreTests
{
    [TestMethod]
    public void Save_MoreThanKeepLast_KeepsNewestOnly()
    {
        var dir = Directory.CreateTempSubdirectory("msft-ckpt-");
        try
        {
            var store = new CheckpointStore(dir.FullName, keepLast: 2);
            foreach (var step in new long[] { 10, 20, 30 })
            {
                store.Save(step, d => File.WriteAllText(Path.Combine(d, "a.txt"), step.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            var list = store.List();
            CollectionAssert.AreEqual(new long[] { 20, 30 }, list.Select(l => l.Step).ToArray());
            Assert.AreEqual("30", File.ReadAllText(Path.Combine(store.Latest()!, "a.txt")));
            Assert.AreEqual("step-00000030", Path.GetFileName(store.Latest()));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Save_WriterThrows_LeavesNoCheckpoint()
    {
        var dir = Directory.CreateTempSubdirectory("msft-ckpt-");
        try
        {
            var store = new CheckpointStore(dir.FullName);
            store.Save(1, d => File.WriteAllText(Path.Combine(d, "a.txt"), "ok"));
            Assert.ThrowsExactly<IOException>(() => store.Save(2, d =>
            {
                File.WriteAllText(Path.Combine(d, "a.txt"), "half");
                throw new IOException("disk full");
            }));
            Assert.AreEqual(1, store.List().Single().Step);
            Assert.AreEqual(1, Directory.GetDirectories(dir.FullName).Length, "the temporary folder must be removed");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void List_IgnoresTemporaryAndForeignFolders()
    {
        var dir = Directory.CreateTempSubdirectory("msft-ckpt-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, ".tmp-step-00000005-123"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "notes"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "step-00000004"));
            Assert.AreEqual(4, CheckpointStore.ListIn(dir.FullName).Single().Step);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Prune_KilledMidDelete_LeavesOnlyAHiddenFolderThatTheNextSaveRemoves()
    {
        // Kill trial 18 (docs/reliability.md) stopped a prune inside its recursive delete: step-00000020 stayed, without
        // model.safetensors. Pruning now renames first, so what a kill leaves is a hidden .tmp-pruned-* folder.
        var dir = Directory.CreateTempSubdirectory("msft-ckpt-");
        try
        {
            var store = new CheckpointStore(dir.FullName, keepLast: 1);
            store.Save(1, folder => File.WriteAllText(Path.Combine(folder, "a.txt"), "1"));
            var leftover = Path.Combine(dir.FullName, ".tmp-pruned-step-00000000-999999");
            Directory.CreateDirectory(leftover);
            File.WriteAllText(Path.Combine(leftover, "trainer.json"), "{}"); // the half-deleted remains of a pruned checkpoint
            Assert.AreEqual(1, store.List().Single().Step, "a half-deleted pruned folder is never listed");

            store.Save(2, folder => File.WriteAllText(Path.Combine(folder, "a.txt"), "2"));

            Assert.AreEqual(2, store.List().Single().Step);
            CollectionAssert.AreEqual(new[] { "step-00000002" }, Directory.GetDirectories(dir.FullName).Select(Path.GetFileName).ToArray(),
                "the older checkpoint was pruned and the leftover removed; nothing else remains");
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [TestMethod]
    public void Save_SameStepTwice_ReplacesContents()
    {
        var dir = Directory.CreateTempSubdirectory("msft-ckpt-");
        try
        {
            var store = new CheckpointStore(dir.FullName);
            store.Save(7, d => File.WriteAllText(Path.Combine(d, "a.txt"), "first"));
            var path = store.Save(7, d => File.WriteAllText(Path.Combine(d, "a.txt"), "second"));
            Assert.AreEqual("second", File.ReadAllText(Path.Combine(path, "a.txt")));
            Assert.AreEqual(1, Directory.GetDirectories(dir.FullName).Length);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
