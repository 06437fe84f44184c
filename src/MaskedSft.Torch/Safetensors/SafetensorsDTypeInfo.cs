// Header codes and element sizes of SafetensorsDType, and parsing of header codes.
namespace MaskedSft.Torch.Safetensors;

/// <summary>Header codes and element sizes of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypeInfo
{
    /// <summary>The header codes this library reads and writes, comma separated (used in error hints).</summary>
    public const string SupportedCodes = "F32, F64, BF16, F16, I64, I32, U8, BOOL";

    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="dtype"/> is not a defined value.</exception>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.BF16 or SafetensorsDType.F16 => 2,
        SafetensorsDType.U8 or SafetensorsDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"Unknown safetensors dtype; supported: {SupportedCodes}."),
    };

    /// <summary>The code that names <paramref name="dtype"/> in a safetensors header, e.g. <c>"BF16"</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The header code.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="dtype"/> is not a defined value.</exception>
    public static string HeaderCode(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F64 => "F64",
        SafetensorsDType.BF16 => "BF16",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.I64 => "I64",
        SafetensorsDType.I32 => "I32",
        SafetensorsDType.U8 => "U8",
        SafetensorsDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"Unknown safetensors dtype; supported: {SupportedCodes}."),
    };

    /// <summary>Parses a header code (case-sensitive, as the format requires) into a <see cref="SafetensorsDType"/>.</summary>
    /// <param name="code">The code read from a header, e.g. <c>"F32"</c>.</param>
    /// <param name="dtype">The parsed type, when the code is supported.</param>
    /// <returns><see langword="true"/> when <paramref name="code"/> is one of <see cref="SupportedCodes"/>.</returns>
    public static bool TryParseHeaderCode(string? code, out SafetensorsDType dtype)
    {
        switch (code)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F64": dtype = SafetensorsDType.F64; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            case "BOOL": dtype = SafetensorsDType.Bool; return true;
            default: dtype = default; return false;
        }
    }
}
