// MockLossModel: content-determined loss distribution, determinism, real gradients into every parameter.
using MaskedSft.Testing.Mock;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.HardExamples;

[TestClass]
[DoNotParallelize]
public sealed class MockLossModelTests
{
    private static readonly MockEpisodeSourceOptions Data = new() { BatchSize = 32, ImageSize = 16, Seed = 9 };

    private static float[] Losses(MockLossModel model, MockEpisodeBatch batch)
    {
        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        using var tensors = MockEpisodeTensors.From(batch);
        return model.Forward(tensors).PerSampleLoss.ToArray<float>();
    }

    [TestMethod]
    public void ContentDifficulty_ManySamples_BaseAndAbout12PercentHigh()
    {
        var source = new MockEpisodeSource(Data with { EpisodeCount = 100_000 });
        int high = 0, total = 0;
        for (int step = 0; step < 100; step++)
        {
            var batch = source.GetBatch(step);
            for (int i = 0; i < batch.BatchSize; i++)
            {
                double d = MockLossModel.ContentDifficulty(batch, i);
                Assert.IsTrue(d is >= 0.5 and <= 2.0 or >= 3.0 and <= 10.0, $"difficulty {d}");
                high += d >= 3.0 ? 1 : 0;
                total++;
            }
        }

        Assert.AreEqual(0.125, high / (double)total, 0.025, "about 10-15% of samples are hard");
    }

    [TestMethod]
    public void Forward_AtInit_PerSampleLossCloseToDifficulty()
    {
        var batch = new MockEpisodeSource(Data).GetBatch(0);
        using var model = new MockLossModel(Data, seed: 1);
        var losses = Losses(model, batch);
        for (int i = 0; i < losses.Length; i++)
        {
            double ratio = losses[i] / MockLossModel.ContentDifficulty(batch, i);
            Assert.IsTrue(ratio is > 0.8 and < 1.3, $"sample {i}: loss {losses[i]} vs difficulty {MockLossModel.ContentDifficulty(batch, i)}");
        }
    }

    [TestMethod]
    public void Forward_SameSeedAndBatch_IdenticalLosses_RepeatedKeySameLoss()
    {
        var source = new MockEpisodeSource(Data);
        using var a = new MockLossModel(Data, seed: 3);
        using var b = new MockLossModel(Data, seed: 3);
        using var c = new MockLossModel(Data, seed: 4);
        var batch = source.GetBatch(2);
        CollectionAssert.AreEqual(Losses(a, batch), Losses(b, batch));
        CollectionAssert.AreNotEqual(Losses(a, batch), Losses(c, batch));

        // The same (episode, frame) in another batch has the same content, hence the same loss.
        var first = Losses(a, batch);
        for (int step = 3; step < 200; step++)
        {
            var other = source.GetBatch(step);
            for (int i = 0; i < batch.BatchSize; i++)
            {
                int j = Array.IndexOf(other.Keys, batch.Keys[i]);
                if (j >= 0)
                {
                    Assert.AreEqual(first[i], Losses(a, other)[j], 1e-5f, $"key {batch.Keys[i]} at steps 2 and {step}");
                    return;
                }
            }
        }

        Assert.Fail("no key of step 2 repeated within 200 steps");
    }

    [TestMethod]
    public void Backward_GradientsReachEveryParameter_AndAdamWLowersTheLoss()
    {
        var source = new MockEpisodeSource(Data);
        using var model = new MockLossModel(Data, seed: 1);
        using var optimizer = new MaskedSft.Torch.Optim.AdamW(model.NamedParameters(), learningRate: 1e-2);
        long live = TensorCounters.SettledLive();
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++)
        {
            using var scope = new DisposeScope();
            using var tensors = MockEpisodeTensors.From(source.GetBatch(step % 4));
            var output = model.Forward(tensors);
            optimizer.ZeroGrad();
            output.Loss.Backward();
            if (step == 0)
            {
                foreach (var (name, p) in model.NamedParameters())
                {
                    Assert.IsNotNull(p.Grad, name);
                    Assert.IsGreaterThan(0f, p.Grad!.Abs().Sum().Item<float>(), $"{name} gets a gradient");
                }

                first = output.Loss.Item<float>();
            }

            optimizer.Step();
            last = output.Loss.Item<float>();
        }

        Assert.IsLessThan(first * 0.8, last, $"training on 4 repeated batches lowers the loss ({first} -> {last})");
        Assert.AreEqual(live, TensorCounters.Live, "each step frees its tensors");
    }
}
