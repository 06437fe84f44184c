// Loads a reference fixture (JSON written by a scripts/reference/*.py script) from the test output's Fixtures folder.
using System.Text.Json;

namespace MaskedSft.MLNet.Tests.Models;

/// <summary>Access to Fixtures/&lt;Area&gt;/&lt;file&gt;.json and typed readers of its arrays.</summary>
internal static class FixtureFile
{
    /// <summary>Parses a fixture; the message says how to regenerate it when it is missing.</summary>
    public static JsonDocument Open(string area, string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", area, file);
        if (!File.Exists(path))
        {
            Assert.Fail($"Fixture {path} is missing. Regenerate it with /usr/bin/python3 scripts/reference/{(area == "Losses" ? "loss" : "model")}_reference.py and rebuild.");
        }

        return JsonDocument.Parse(File.ReadAllBytes(path));
    }

    /// <summary>The cases array of a fixture.</summary>
    public static IEnumerable<JsonElement> Cases(JsonDocument doc) => doc.RootElement.GetProperty("cases").EnumerateArray();

    /// <summary>A number array as float32.</summary>
    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    /// <summary>A number array as float64.</summary>
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>An integer array as int64.</summary>
    public static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();
}
