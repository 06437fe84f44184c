// SplitMix64 (Steele, Lea, Flood 2014): the 64-bit mixer, seed expander and small generator behind keys, splits, loader order and mock data.
namespace MaskedSft.MLNet.Data;

/// <summary>
/// SplitMix64: <c>state += 0x9E3779B97F4A7C15; return Mix(state)</c>. Stable across platforms and .NET versions; used to
/// expand seeds for <see cref="Xoshiro256StarStar"/>, to derive episode keys and to assign splits (the static members), and
/// as a small seedable generator whose output for a seed never changes (an instance: the testing kit's mock data).
/// </summary>
public struct SplitMix64
{
    /// <summary>The increment of the SplitMix64 state (2^64 divided by the golden ratio).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    private ulong _state;

    /// <summary>Creates a generator at a seed.</summary>
    /// <param name="seed">The initial state.</param>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>The SplitMix64 finalizer: a bijective mix of 64 bits.</summary>
    /// <param name="z">The value to mix.</param>
    /// <returns><c>z ^= z &gt;&gt; 30; z *= 0xBF58476D1CE4E5B9; z ^= z &gt;&gt; 27; z *= 0x94D049BB133111EB; z ^ (z &gt;&gt; 31)</c>.</returns>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Advances a SplitMix64 state and returns its next output.</summary>
    /// <param name="state">The state, advanced by <see cref="Gamma"/>.</param>
    /// <returns>The next output.</returns>
    public static ulong Next(ref ulong state)
    {
        state += Gamma;
        return Mix(state);
    }

    /// <summary>Mixes up to four values into one seed: each value is XORed into the next output of a generator seeded with
    /// the result so far.</summary>
    /// <param name="a">The first value (the initial seed).</param>
    /// <param name="b">The second value.</param>
    /// <param name="c">The third value.</param>
    /// <param name="d">The fourth value.</param>
    /// <returns>The combined seed.</returns>
    public static ulong Combine(ulong a, ulong b, ulong c = 0, ulong d = 0)
    {
        var h = Next(ref a) ^ b;
        h = Next(ref h) ^ c;
        h = Next(ref h) ^ d;
        return Next(ref h);
    }

    /// <summary>The next 64 random bits.</summary>
    /// <returns>The next output.</returns>
    public ulong Next() => Next(ref _state);

    /// <summary>An integer in [0, <paramref name="n"/>) (the next output modulo n; the bias is below n / 2^64).</summary>
    /// <param name="n">The bound, positive.</param>
    /// <returns>The integer.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not positive.</exception>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (int)(Next() % (ulong)n);
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits of the next output.</summary>
    /// <returns>The double.</returns>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}
