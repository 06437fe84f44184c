// Test helper: the tiny Hugging Face model folders of Fixtures/HfModels and their reference.json (written by
// scripts/reference/hf_models_reference.py with transformers on the GPU machine).
using System.Text.Json;

namespace MaskedSft.MLNet.Tests.Models.Pretrained;

internal static class HfModelFixtures
{
    /// <summary>The folder of a fixture in the test output.</summary>
    public static string Folder(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "HfModels", name);
        if (!Directory.Exists(path))
            Assert.Fail($"Fixture folder {path} is missing. Regenerate with scripts/reference/hf_models_reference.py (see Fixtures/HfModels/README.md) and rebuild.");
        return path;
    }

    /// <summary>The fixture's reference.json.</summary>
    public static JsonDocument Reference(string name) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(name), "reference.json")));

    /// <summary>An integer array.</summary>
    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>A number array.</summary>
    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>A copy of a fixture folder in a new temporary folder (for tests that edit files).</summary>
    public static string CopyToTemp(string name)
    {
        var target = Directory.CreateTempSubdirectory("maskedsft-hf-").FullName;
        foreach (var file in Directory.GetFiles(Folder(name))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }
}
