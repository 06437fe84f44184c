// Tests of seeded generators: reproducible streams, independence from the global seed, state save/restore.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

[TestClass]
[DoNotParallelize]
public sealed class GeneratorTests
{
    [TestMethod]
    public void SameSeed_SameStream()
    {
        using var scope = new DisposeScope();
        using var a = Generator.Create(11);
        using var b = Generator.Create(11);
        CollectionAssert.AreEqual(TorchOps.Randn([5], a).ToArray<float>(), TorchOps.Randn([5], b).ToArray<float>());
        CollectionAssert.AreEqual(TorchOps.RandPerm(10, a).ToArray<long>(), TorchOps.RandPerm(10, b).ToArray<long>());
        Assert.AreEqual(11UL, a.Seed);
    }

    [TestMethod]
    public void ExplicitGenerator_IgnoresGlobalSeed()
    {
        using var scope = new DisposeScope();
        TorchOps.ManualSeed(1);
        using var a = Generator.Create(3);
        var first = TorchOps.Rand([4], a).ToArray<float>();
        TorchOps.ManualSeed(2);
        a.ManualSeed(3);
        CollectionAssert.AreEqual(first, TorchOps.Rand([4], a).ToArray<float>());
    }

    [TestMethod]
    public void GetStateSetState_ReplaysTheStream()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(21);
        _ = TorchOps.Rand([3], g);
        var state = g.GetState();
        var expected = TorchOps.RandInt(0, 1000, [8], g).ToArray<long>();
        g.SetState(state);
        CollectionAssert.AreEqual(expected, TorchOps.RandInt(0, 1000, [8], g).ToArray<long>());
        using var other = Generator.Create(0);
        other.SetState(state);
        CollectionAssert.AreEqual(expected, TorchOps.RandInt(0, 1000, [8], other).ToArray<long>());
    }

    [TestMethod]
    public void DefaultGenerator_StateRestoresGlobalStream()
    {
        using var scope = new DisposeScope();
        using var global = Generator.GetDefault();
        TorchOps.ManualSeed(5);
        var state = global.GetState();
        var expected = TorchOps.Rand([4]).ToArray<float>();
        global.SetState(state);
        CollectionAssert.AreEqual(expected, TorchOps.Rand([4]).ToArray<float>());
    }

    [TestMethod]
    public void SetState_Garbage_ThrowsTorchException()
    {
        using var g = Generator.Create(1);
        Assert.ThrowsExactly<TorchException>(() => g.SetState([1, 2, 3]));
    }

    [TestMethod]
    public void Randomness_HasExpectedRangesAndMoments()
    {
        using var scope = new DisposeScope();
        using var g = Generator.Create(8);
        var u = TorchOps.Rand([20000], g, ScalarType.Float64).ToArray<double>();
        Assert.IsTrue(u.All(v => v >= 0 && v < 1));
        Assert.AreEqual(0.5, u.Average(), 0.01);
        var n = TorchOps.Randn([20000], g, ScalarType.Float64).ToArray<double>();
        Assert.AreEqual(0.0, n.Average(), 0.03);
        Assert.AreEqual(1.0, Math.Sqrt(n.Select(v => v * v).Average()), 0.03);
        var ints = TorchOps.RandInt(-3, 4, [1000], g).ToArray<long>();
        Assert.AreEqual(-3L, ints.Min());
        Assert.AreEqual(3L, ints.Max());
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).Select(i => (long)i).ToArray(), TorchOps.RandPerm(50, g).ToArray<long>());
        var draws = TorchOps.Bernoulli(TorchOps.Full([1000], 0.25, ScalarType.Float64), g).ToArray<double>();
        Assert.AreEqual(0.25, draws.Average(), 0.05);
        var picks = TorchOps.Multinomial(Tensor.FromArray(new double[] { 0, 1, 0 }), 3, replacement: true, generator: g).ToArray<long>();
        CollectionAssert.AreEqual(new long[] { 1, 1, 1 }, picks);
    }
}
