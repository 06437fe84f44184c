// MockEpisodeSource: determinism from the seed, random access by step, repeated keys with repeated content, shapes and masks.
using MaskedSft.Testing.Mock;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
public sealed class MockEpisodeSourceTests
{
    private static MockEpisodeSource Source(ulong seed = 3, int process = 0, int processes = 1) =>
        new(new MockEpisodeSourceOptions { BatchSize = 16, ImageSize = 32, Seed = seed, ProcessIndex = process, ProcessCount = processes, EpisodeCount = 20, FramesPerEpisode = 4 });

    [TestMethod]
    public void GetBatch_SameSeedAndStep_IdenticalBatches()
    {
        var a = Source().GetBatch(5);
        var b = Source().GetBatch(5);
        CollectionAssert.AreEqual(a.Images, b.Images);
        CollectionAssert.AreEqual(a.ActionTokens, b.ActionTokens);
        CollectionAssert.AreEqual(a.PromptTokens, b.PromptTokens);
        CollectionAssert.AreEqual(a.State, b.State);
        CollectionAssert.AreEqual(a.Keys, b.Keys);
    }

    [TestMethod]
    public void GetBatch_OtherSeedOrStep_DifferentBatches()
    {
        CollectionAssert.AreNotEqual(Source().GetBatch(5).Keys, Source().GetBatch(6).Keys);
        CollectionAssert.AreNotEqual(Source().GetBatch(5).Images, Source(seed: 4).GetBatch(5).Images);
    }

    [TestMethod]
    public void GetBatch_RepeatedKey_HasRepeatedContent()
    {
        var source = Source();
        var seen = new Dictionary<string, (string Action, string Prompt, float[] State, byte[] Image)>();
        int repeats = 0;
        for (int step = 0; step < 10; step++)
        {
            var batch = source.GetBatch(step);
            for (int i = 0; i < batch.BatchSize; i++)
            {
                var content = (batch.ActionTexts[i], batch.Prompts[i], batch.State.AsSpan(i * batch.StateDim, batch.StateDim).ToArray(), batch.GetImage(i).ToArray());
                if (seen.TryGetValue(batch.Keys[i], out var before))
                {
                    repeats++;
                    Assert.AreEqual(before.Action, content.Item1);
                    Assert.AreEqual(before.Prompt, content.Item2);
                    CollectionAssert.AreEqual(before.State, content.Item3);
                    CollectionAssert.AreEqual(before.Image, content.Item4);
                }
                else
                {
                    seen[batch.Keys[i]] = content;
                }
            }
        }

        Assert.IsGreaterThan(20, repeats, "80 keys and 160 samples: keys repeat");
    }

    [TestMethod]
    public void GetBatch_TokensMasksAndTexts_AreConsistent()
    {
        var source = Source();
        var batch = source.GetBatch(0);
        for (int i = 0; i < batch.BatchSize; i++)
        {
            var row = batch.ActionTokens.AsSpan(i * batch.ActionLength, batch.ActionLength);
            var mask = batch.ActionMask.AsSpan(i * batch.ActionLength, batch.ActionLength);
            int n = mask.IndexOf(false) < 0 ? mask.Length : mask.IndexOf(false);
            Assert.IsTrue(mask[n..].IndexOf(true) < 0, "the mask is a prefix");
            Assert.AreEqual(MockTokenizer.EosId, row[n - 1], "the supervised tokens end with EOS");
            Assert.AreEqual(batch.ActionTexts[i], source.Tokenizer.Decode(row[..n]));
            StringAssert.Matches(batch.ActionTexts[i], new System.Text.RegularExpressions.Regex(@"^((move \w+ \d+cm|rotate \w+ \d+ degrees|(open|close) gripper)( and )?)+$"));
            Assert.AreEqual(MockTokenizer.BosId, batch.PromptTokens[i * batch.PromptLength]);
            Assert.AreEqual(batch.Prompts[i], source.Tokenizer.Decode(batch.PromptTokens.AsSpan(i * batch.PromptLength, batch.PromptLength)));
        }

        Assert.HasCount(16 * 32 * 32 * 3, batch.Images);
    }

    [TestMethod]
    public void GetBatch_TwoProcesses_DisjointGlobalIndices()
    {
        var p0 = Source(process: 0, processes: 2).GetBatch(3);
        var p1 = Source(process: 1, processes: 2).GetBatch(3);
        CollectionAssert.AreEqual(Enumerable.Range(96, 16).Select(i => (long)i).ToArray(), p0.GlobalIndices);
        CollectionAssert.AreEqual(Enumerable.Range(112, 16).Select(i => (long)i).ToArray(), p1.GlobalIndices);
    }
}
