// C# twin of scripts/reference/model_reference.py's portable parameter generator (splitmix64 seeded by FNV-1a of the name).
using System.Text;

namespace MaskedSft.MLNet.Tests.Models;

/// <summary>Deterministic parameter values shared with the Python reference, so the fixture needs no weight file.</summary>
internal static class PortableInit
{
    /// <summary>FNV-1a 64 of the UTF-8 bytes of a text.</summary>
    public static ulong Fnv1a64(string text)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h = unchecked(h * 0x100000001B3UL);
        }

        return h;
    }

    /// <summary>The values of a parameter: float32((2u - 1) * scale + offset) per element, u from splitmix64.</summary>
    public static float[] Values(string name, ulong seed, long count)
    {
        var (scale, offset) = ScaleFor(name);
        var state = Fnv1a64(name) ^ seed;
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            state = unchecked(state + 0x9E3779B97F4A7C15UL);
            var z = state;
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            var u = (z >> 40) / (double)(1UL << 24);
            values[i] = (float)((2.0 * u - 1.0) * scale + offset);
        }

        return values;
    }

    /// <summary>(scale, offset) per parameter name: the same table as the Python reference's scale_for.</summary>
    public static (double Scale, double Offset) ScaleFor(string name)
    {
        if (name.EndsWith("wte.weight", StringComparison.Ordinal) || name.EndsWith("wpe.weight", StringComparison.Ordinal)) return (0.5, 0.0);
        if (name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("transformer.ln_f", StringComparison.Ordinal))
            return name.EndsWith(".weight", StringComparison.Ordinal) ? (0.2, 1.0) : (0.1, 0.0);
        if (name.EndsWith(".bias", StringComparison.Ordinal)) return (0.1, 0.0);
        return (0.2, 0.0);
    }
}
