// The loader's generator against the published SplitMix64 and xoshiro256** outputs, and its shuffle's uniformity.
using MaskedSft.MLNet.Data;

namespace MaskedSft.MLNet.Tests.Data;

[TestClass]
public sealed class Xoshiro256StarStarTests
{
    [TestMethod]
    public void SplitMix64_SeedZero_MatchesReferenceOutputs()
    {
        // Reference: Vigna's splitmix64.c with x = 0.
        ulong state = 0;
        Assert.AreEqual(0xE220A8397B1DCDAFUL, SplitMix64.Next(ref state));
        Assert.AreEqual(0x6E789E6AA1B965F4UL, SplitMix64.Next(ref state));
        Assert.AreEqual(0x06C45D188009454FUL, SplitMix64.Next(ref state));
    }

    [TestMethod]
    public void NextUInt64_State1234_MatchesReferenceOutputs()
    {
        // Reference: Blackman and Vigna's xoshiro256starstar.c with s = {1, 2, 3, 4}.
        var rng = new Xoshiro256StarStar(1, 2, 3, 4);
        Assert.AreEqual(11520UL, rng.NextUInt64());
        Assert.AreEqual(0UL, rng.NextUInt64());
        Assert.AreEqual(1509978240UL, rng.NextUInt64());
        Assert.AreEqual(1215971899390074240UL, rng.NextUInt64());
    }

    [TestMethod]
    public void Shuffle_ThreeElements_AllSixPermutationsAboutEquallyOften()
    {
        var rng = new Xoshiro256StarStar(7);
        var counts = new Dictionary<string, int>();
        const int trials = 60_000;
        for (var i = 0; i < trials; i++)
        {
            int[] items = [0, 1, 2];
            rng.Shuffle(items.AsSpan());
            var key = string.Join(",", items);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        Assert.AreEqual(6, counts.Count);
        foreach (var (permutation, count) in counts)
        {
            Assert.AreEqual(trials / 6.0, count, 0.05 * trials / 6.0, permutation);
        }
    }

    [TestMethod]
    public void NextBounded_ZeroBound_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Xoshiro256StarStar(1).NextBounded(0));
    }
}
