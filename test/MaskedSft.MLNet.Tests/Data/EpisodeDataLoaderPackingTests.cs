// EpisodeDataLoader with Packing: each sample kept whole with its own targets (none crosses into the next document),
// document ids and positions restarting per document, fewer rows, exact resume, and states of unpacked loaders refused.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class EpisodeDataLoaderPackingTests
{
    private const int T = 16;

    [TestMethod]
    public void PackedRows_ConcatenateTheUnpackedSamples_WithOwnTargetsDocumentIdsAndPositions()
    {
        using var dir = new TempDirectory();
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(dir.Combine("d"), EpisodeFixtures.Random(40, 2, 9, seed: 3, advantages: true, vocab: 50), vocab: 50, padId: 0, advantages: true));
        var options = new EpisodeLoaderOptions { BatchSize = 1, BlockSize = T, Shuffle = false, DropLast = false };
        var unpacked = EpisodeDataLoader.CreateTrain(dataset, options);
        var packed = EpisodeDataLoader.CreateTrain(dataset, options with { Packing = true });
        Assert.IsTrue(packed.RowsPerEpoch < unpacked.RowsPerEpoch / 2, $"{packed.RowsPerEpoch} packed rows for {unpacked.RowsPerEpoch} samples");
        Assert.AreEqual(unpacked.SampleCount, packed.SampleCount);
        Assert.AreEqual(packed.RowsPerEpoch, packed.Statistics.PackedRowCount);

        var samples = unpacked.EnumerateEpoch().ToList();                  // index order: the order packing walks
        var next = 0;
        long packedTargets = 0;
        foreach (var row in packed.EnumerateEpoch())
        {
            Assert.IsTrue(row.IsPacked);
            var docs = row.DocumentIds;
            var positions = row.PositionIds;
            var offset = 0;
            for (var d = 0; d < row.RowDocumentCounts[0]; d++)
            {
                var sample = samples[next++];
                var m = sample.RowTargetCounts[0];
                Assert.AreEqual(1, sample.RowDocumentCounts[0], "an unpacked row is one document");
                Assert.IsTrue(offset + m <= T);
                CollectionAssert.AreEqual(sample.Inputs[..m].ToArray(), row.Inputs.Slice(offset, m).ToArray(), $"X of document {d}");
                CollectionAssert.AreEqual(sample.Targets[..m].ToArray(), row.Targets.Slice(offset, m).ToArray(), $"Y of document {d}: its own next tokens");
                CollectionAssert.AreEqual(sample.LossMask[..m].ToArray(), row.LossMask.Slice(offset, m).ToArray(), $"mask of document {d}");
                CollectionAssert.AreEqual(sample.Advantages[..m].ToArray(), row.Advantages.Slice(offset, m).ToArray(), $"advantages of document {d}");
                for (var t = 0; t < m; t++)
                {
                    Assert.AreEqual(d, docs[offset + t]);
                    Assert.AreEqual(t, positions[offset + t]);
                }

                offset += m;
            }

            packedTargets += offset;
            Assert.AreEqual(offset, row.RowTargetCounts[0]);
            for (var t = offset; t < T; t++)
            {
                Assert.AreEqual(-100L, row.Targets[t], "padding targets are the ignore index");
                Assert.AreEqual(0f, row.LossMask[t]);
                Assert.AreEqual((long)row.RowDocumentCounts[0], docs[t], "the padding tail is a document of its own");
            }
        }

        Assert.AreEqual(samples.Count, next, "every sample is packed exactly once, in order");
        Assert.AreEqual(unpacked.Statistics.TargetCount, packedTargets);
    }

    [TestMethod]
    public void PackedRows_TargetAtADocumentBoundary_ClosesThatDocumentsEpisode()
    {
        using var dir = new TempDirectory();
        var episodes = EpisodeFixtures.Random(30, 2, 7, seed: 9, vocab: 50);
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(dir.Combine("d"), episodes, vocab: 50, padId: 0));
        var packed = EpisodeDataLoader.CreateTrain(dataset, new EpisodeLoaderOptions { BatchSize = 2, BlockSize = T, Shuffle = true, Packing = true });
        var boundaries = 0;
        foreach (var batch in packed.EnumerateEpoch())
        {
            for (var r = 0; r < batch.Rows; r++)
            {
                var docs = batch.DocumentIds.Slice(r * T, T);
                var x = batch.InputRow(r);
                var y = batch.TargetRow(r);
                for (var t = 0; t + 1 < T; t++)
                {
                    if (docs[t] == docs[t + 1] || y[t] == -100) continue;
                    boundaries++;
                    // position t is its document's last: its inputs and this target must be one whole episode (a
                    // target taken from the next document would make a token sequence no episode has).
                    FindEpisode(episodes, x, y, docs, t);
                }
            }
        }

        Assert.IsTrue(boundaries > 10, $"{boundaries} boundaries seen");
    }

    [TestMethod]
    public void PackedLoader_ResumedMidEpochAndAcrossEpochs_YieldsTheSameBatches()
    {
        using var dir = new TempDirectory();
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(dir.Combine("d"), EpisodeFixtures.Random(50, 2, 12, seed: 5, advantages: true, vocab: 60), vocab: 60, padId: 0, advantages: true));
        var options = new EpisodeLoaderOptions { BatchSize = 3, BlockSize = T, Seed = 17, Packing = true };
        var reference = EpisodeDataLoader.CreateTrain(dataset, options);
        var perEpoch = (int)reference.BatchesPerEpoch;
        Assert.IsTrue(perEpoch >= 2);
        var expected = new List<(BatchSnapshot Batch, long[] Docs, long[] Positions)>();
        var states = new List<LoaderState>();
        var batch = reference.CreateBatch();
        for (var i = 0; i < (2 * perEpoch) + 2; i++)
        {
            states.Add(reference.State);
            reference.NextBatch(batch);
            expected.Add((EpisodeFixtures.Snapshot(batch), batch.DocumentIds.ToArray(), batch.PositionIds.ToArray()));
        }

        foreach (var at in new[] { 1, perEpoch, perEpoch + 1 })
        {
            var resumed = EpisodeDataLoader.CreateTrain(dataset, options, LoaderState.FromJson(states[at].ToJson()));
            var b = resumed.CreateBatch();
            for (var i = at; i < expected.Count; i++)
            {
                resumed.NextBatch(b);
                Assert.IsTrue(expected[i].Batch.SameAs(EpisodeFixtures.Snapshot(b)), $"resumed at {at}: batch {i}");
                CollectionAssert.AreEqual(expected[i].Docs, b.DocumentIds.ToArray(), $"resumed at {at}: document ids of batch {i}");
                CollectionAssert.AreEqual(expected[i].Positions, b.PositionIds.ToArray(), $"resumed at {at}: positions of batch {i}");
            }
        }
    }

    [TestMethod]
    public void StateOfAnUnpackedLoader_IsRefusedByAPackedOne()
    {
        using var dir = new TempDirectory();
        using var dataset = EpisodeDataset.Open(EpisodeFixtures.Write(dir.Combine("d"), EpisodeFixtures.Random(20, 2, 9, seed: 1, vocab: 50), vocab: 50, padId: 0));
        var options = new EpisodeLoaderOptions { BatchSize = 2, BlockSize = T };
        var state = EpisodeDataLoader.CreateTrain(dataset, options).State;
        var e = Assert.ThrowsExactly<ArgumentException>(() => EpisodeDataLoader.CreateTrain(dataset, options with { Packing = true }, state));
        StringAssert.Contains(e.Message, "packed");
    }

    [TestMethod]
    public void SetRowOnAPackedBatch_MakesOneDocumentAndAPaddingDocument()
    {
        var batch = new EpisodeBatch(1, 6, hasLossMask: false, hasAdvantages: false, isPacked: true);
        batch.Reset(1);
        batch.SetRow(0, [5, 6, 7, 0, 0, 0], [6, 7, 8, -100, -100, -100], [], [], realTargets: 3);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 1, 1, 1 }, batch.DocumentIds.ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 0, 1, 2 }, batch.PositionIds.ToArray());
        Assert.AreEqual(1, batch.RowDocumentCounts[0]);
    }

    /// <summary>The episode whose tokens are the document ending at position t of a packed row.</summary>
    private static void FindEpisode(List<SyntheticEpisode> episodes, ReadOnlySpan<long> x, ReadOnlySpan<long> y, ReadOnlySpan<long> docs, int t)
    {
        var start = t;
        while (start > 0 && docs[start - 1] == docs[t]) start--;
        var tokens = new List<long>(x[start..(t + 1)].ToArray()) { y[t] };
        for (var e = 0; e < episodes.Count; e++)
        {
            if (episodes[e].Tokens.Select(v => (long)v).SequenceEqual(tokens)) return;
        }

        Assert.Fail($"no episode has the tokens [{string.Join(", ", tokens)}]");
    }
}
