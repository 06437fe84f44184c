// SplitMix64 (Steele, Lea, Flood 2014): the 64-bit mixer and seed expander behind keys, splits and loader order.
namespace MaskedSft.MLNet.Data;

/// <summary>
/// SplitMix64: <c>state += 0x9E3779B97F4A7C15; return Mix(state)</c>. Stable across platforms; used to expand seeds for
/// <see cref="Xoshiro256StarStar"/>, to derive episode keys and to assign splits.
/// </summary>
public static class SplitMix64
{
    /// <summary>The increment of the SplitMix64 state (2^64 divided by the golden ratio).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

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
}
