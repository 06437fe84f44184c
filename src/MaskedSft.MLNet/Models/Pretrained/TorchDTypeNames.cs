// The dtype names of config.json (torch_dtype / dtype) and their tensor element types, both ways.
using MaskedSft.Torch;

namespace MaskedSft.MLNet.Models.Pretrained;

/// <summary>Maps the names transformers writes for dtypes (<c>bfloat16</c>, <c>float16</c>, <c>float32</c>) to element types.</summary>
public static class TorchDTypeNames
{
    /// <summary>The floating-point names this library reads (and their common aliases).</summary>
    public const string Supported = "float32 (float, fp32), bfloat16 (bf16), float16 (half, fp16), float64 (double)";

    /// <summary>Parses a dtype name as transformers writes it (a leading <c>torch.</c> is allowed).</summary>
    /// <param name="name">E.g. <c>bfloat16</c> or <c>torch.float16</c>.</param>
    /// <param name="dtype">The element type when recognised.</param>
    /// <returns>Whether the name is a supported floating-point dtype.</returns>
    public static bool TryParse(string? name, out ScalarType dtype)
    {
        var n = name?.Trim().ToLowerInvariant();
        if (n is not null && n.StartsWith("torch.", StringComparison.Ordinal)) n = n["torch.".Length..];
        ScalarType? parsed = n switch
        {
            "float32" or "float" or "fp32" => ScalarType.Float32,
            "bfloat16" or "bf16" => ScalarType.BFloat16,
            "float16" or "half" or "fp16" => ScalarType.Float16,
            "float64" or "double" => ScalarType.Float64,
            _ => null,
        };
        dtype = parsed.GetValueOrDefault();
        return parsed.HasValue;
    }

    /// <summary>The name transformers writes for an element type.</summary>
    /// <param name="dtype">A floating-point element type.</param>
    /// <returns>E.g. <c>bfloat16</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The type is not floating point.</exception>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a floating-point dtype."),
    };
}
