// xoshiro256** (Blackman, Vigna 2018): the loader's platform-independent generator, with unbiased bounded draws and shuffles.
namespace MaskedSft.MLNet.Data;

/// <summary>
/// The xoshiro256** generator with Lemire's unbiased bounded integers and a Fisher–Yates shuffle. Its output depends on the
/// seed only (never on the platform or the runtime), which makes loader orders reproducible everywhere.
/// </summary>
public sealed class Xoshiro256StarStar
{
    private ulong s0, s1, s2, s3;

    /// <summary>Creates a generator whose four state words are the first four SplitMix64 outputs from <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public Xoshiro256StarStar(ulong seed)
    {
        var state = seed;
        s0 = SplitMix64.Next(ref state);
        s1 = SplitMix64.Next(ref state);
        s2 = SplitMix64.Next(ref state);
        s3 = SplitMix64.Next(ref state);
    }

    /// <summary>Creates a generator from its four state words (not all zero).</summary>
    /// <param name="s0">State word 0.</param>
    /// <param name="s1">State word 1.</param>
    /// <param name="s2">State word 2.</param>
    /// <param name="s3">State word 3.</param>
    /// <exception cref="ArgumentException">All four words are zero.</exception>
    public Xoshiro256StarStar(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new ArgumentException("xoshiro256** state must not be all zero. Hint: seed it through SplitMix64.", nameof(s0));
        }

        (this.s0, this.s1, this.s2, this.s3) = (s0, s1, s2, s3);
    }

    /// <summary>The generator of one loader epoch: seeded with <c>seed ^ SplitMix64.Mix(epoch + 0x6A09E667F3BCC909)</c>.</summary>
    /// <param name="seed">The loader seed.</param>
    /// <param name="epoch">The epoch number.</param>
    /// <returns>A new generator.</returns>
    public static Xoshiro256StarStar ForEpoch(ulong seed, long epoch) =>
        new(seed ^ SplitMix64.Mix(unchecked((ulong)epoch + 0x6A09E667F3BCC909UL)));

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Returns a uniform integer in <c>[0, bound)</c> by Lemire's multiply-shift with rejection (no modulo bias).</summary>
    /// <param name="bound">The exclusive upper bound, positive.</param>
    /// <returns>A value in <c>[0, bound)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is zero.</exception>
    public ulong NextBounded(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        var high = Math.BigMul(NextUInt64(), bound, out var low);
        if (low < bound)
        {
            var threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), bound, out low);
            }
        }

        return high;
    }

    /// <summary>Shuffles a span in place by Fisher–Yates: for i = n-1 down to 1, swap a[i] with a[NextBounded(i + 1)].</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="items">The items to shuffle.</param>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = (int)NextBounded((ulong)i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
