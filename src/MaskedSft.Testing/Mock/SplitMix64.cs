// SplitMix64: a tiny, portable, seedable generator, so mock data is identical on every platform and .NET version.
namespace MaskedSft.Testing.Mock;

/// <summary>The SplitMix64 generator (Steele, Lea and Flood 2014); its output for a seed never changes.</summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>Mixes several values into one seed.</summary>
    public static ulong Combine(ulong a, ulong b, ulong c = 0, ulong d = 0)
    {
        var g = new SplitMix64(a);
        ulong h = g.Next() ^ b;
        g = new SplitMix64(h);
        h = g.Next() ^ c;
        g = new SplitMix64(h);
        h = g.Next() ^ d;
        g = new SplitMix64(h);
        return g.Next();
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>).</summary>
    public int NextInt(int n) => (int)(Next() % (ulong)n);

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
