// Generators of advantage patterns, laid over the supervised positions of a mask (zero elsewhere).
namespace MaskedSft.MLNet.Losses;

/// <summary>Builds per-token advantages following an <see cref="AdvantagePattern"/>.</summary>
public static class AdvantagePatterns
{
    /// <summary>The pattern for a sequence whose every position is supervised.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="length">Number of positions.</param>
    /// <param name="seed">Seed of the <see cref="AdvantagePattern.SparsePositive"/> choice (ignored by the others).</param>
    /// <returns>The advantages, one per position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static float[] Generate(AdvantagePattern pattern, int length, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var mask = new float[length];
        mask.AsSpan().Fill(1f);
        var result = new float[length];
        Fill(pattern, mask, result, seed);
        return result;
    }

    /// <summary>
    /// Lays the pattern over the supervised positions of <paramref name="mask"/> (non-zero entries), in order, and writes 0
    /// at the others. The k-th supervised position is the k-th element of the pattern over n = count(mask != 0) tokens.
    /// </summary>
    /// <param name="pattern">The pattern.</param>
    /// <param name="mask">Loss mask of one sequence (mask[i] refers to token i as a target).</param>
    /// <param name="destination">Receives the advantages; the same length as the mask.</param>
    /// <param name="seed">Seed of the <see cref="AdvantagePattern.SparsePositive"/> choice.</param>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The pattern is not defined.</exception>
    public static void Fill(AdvantagePattern pattern, ReadOnlySpan<float> mask, Span<float> destination, int seed = 0)
    {
        if (mask.Length != destination.Length)
            throw new ArgumentException($"mask has {mask.Length} positions but destination has {destination.Length}.", nameof(destination));
        var n = 0;
        foreach (var m in mask) if (m != 0) n++;
        var random = new Random(seed);
        var sparseChosen = -1;
        if (pattern == AdvantagePattern.SparsePositive && n > 0) sparseChosen = random.Next(n); // guarantees at least one positive
        var tail = Math.Max(1, (n + 3) / 4);
        var k = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0)
            {
                destination[i] = 0f;
                continue;
            }

            destination[i] = pattern switch
            {
                AdvantagePattern.UniformPositive => 1f,
                AdvantagePattern.Increasing => (float)(k + 1) / n,
                AdvantagePattern.EndWeighted => k >= n - tail ? 1f : 0.25f,
                AdvantagePattern.SparsePositive => k == sparseChosen || random.NextDouble() < 0.2 ? 1f : 0f,
                AdvantagePattern.Alternating => k % 2 == 0 ? 1f : -1f,
                _ => throw new ArgumentOutOfRangeException(nameof(pattern), pattern, "Unknown advantage pattern."),
            };
            k++;
        }
    }
}
