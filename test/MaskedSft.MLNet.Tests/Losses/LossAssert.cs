// Assertion helpers of the loss tests: element-wise comparison with a tolerance relative to max(1, |expected|).
namespace MaskedSft.MLNet.Tests.Losses;

internal static class LossAssert
{
    /// <summary>Every |actual - expected| &lt;= tolerance * max(1, |expected|); the message names the first bad index.</summary>
    public static void Close(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (var i = 0; i < expected.Length; i++)
        {
            var limit = tolerance * Math.Max(1.0, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= limit))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {limit:G3})");
            }
        }
    }

    /// <summary>Scalar form of <see cref="Close(double[], float[], double, string)"/>.</summary>
    public static void Close(double expected, double actual, double tolerance, string what)
    {
        var limit = tolerance * Math.Max(1.0, Math.Abs(expected));
        Assert.IsTrue(Math.Abs(actual - expected) <= limit, $"{what}: expected {expected:R}, got {actual:R} (tolerance {limit:G3})");
    }
}
