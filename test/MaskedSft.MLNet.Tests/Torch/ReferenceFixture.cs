// Loads Fixtures/Torch/ops_reference.json (written by scripts/reference/torch_ops_reference.py) into tensors.
using System.Text.Json;
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Tests.Torch;

/// <summary>One fixture tensor: dtype name, shape and flattened values.</summary>
internal sealed record FixtureTensor(string DType, long[] Shape, JsonElement Data)
{
    /// <summary>The values as a new tensor of the fixture's dtype.</summary>
    public Tensor ToTensor() => DType switch
    {
        "Float64" => Tensor.FromArray(Data.EnumerateArray().Select(e => e.GetDouble()).ToArray(), Shape),
        "Float32" => Tensor.FromArray(Data.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray(), Shape),
        "Int64" => Tensor.FromArray(Data.EnumerateArray().Select(e => e.GetInt64()).ToArray(), Shape),
        "Bool" => Tensor.FromArray(Data.EnumerateArray().Select(e => e.GetBoolean()).ToArray(), Shape),
        _ => throw new InvalidDataException($"unknown fixture dtype {DType}"),
    };

    /// <summary>The values as doubles (bools as 0/1).</summary>
    public double[] Values() => Data.EnumerateArray()
        .Select(e => e.ValueKind switch
        {
            JsonValueKind.True => 1.0,
            JsonValueKind.False => 0.0,
            _ => e.GetDouble(),
        })
        .ToArray();
}

/// <summary>One reference case: named inputs and the expected outputs.</summary>
internal sealed record FixtureCase(string Name, IReadOnlyDictionary<string, FixtureTensor> Inputs, IReadOnlyList<FixtureTensor> Outputs);

/// <summary>The parsed fixture file.</summary>
internal static class ReferenceFixture
{
    private static readonly Lazy<IReadOnlyDictionary<string, FixtureCase>> LazyCases = new(Load);

    public static IReadOnlyDictionary<string, FixtureCase> Cases => LazyCases.Value;

    private static IReadOnlyDictionary<string, FixtureCase> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Torch", "ops_reference.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var result = new Dictionary<string, FixtureCase>(StringComparer.Ordinal);
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            var inputs = c.GetProperty("inputs").EnumerateObject().ToDictionary(p => p.Name, p => Parse(p.Value), StringComparer.Ordinal);
            var outputs = c.GetProperty("outputs").EnumerateArray().Select(Parse).ToList();
            var name = c.GetProperty("name").GetString()!;
            result[name] = new FixtureCase(name, inputs, outputs);
        }

        return result;
    }

    private static FixtureTensor Parse(JsonElement e) => new(
        e.GetProperty("dtype").GetString()!,
        e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray(),
        e.GetProperty("data").Clone());
}
