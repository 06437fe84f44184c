// Header codes and element sizes of SafetensorsDType, parsing of header codes, and the mapping to tensor element types.
namespace MaskedSft.Torch.Safetensors;

/// <summary>Header codes, element sizes and tensor element types of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypeInfo
{
    /// <summary>The header codes this library reads and writes, comma separated (used in error hints).</summary>
    public const string SupportedCodes = "F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2, F8_E8M0";

    /// <summary>The header codes that read and write as tensors, comma separated (used in error hints).</summary>
    public const string TensorCodes = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="dtype"/> is not a defined value.</exception>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 or SafetensorsDType.U64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 or SafetensorsDType.U32 => 4,
        SafetensorsDType.BF16 or SafetensorsDType.F16 or SafetensorsDType.I16 or SafetensorsDType.U16 => 2,
        SafetensorsDType.U8 or SafetensorsDType.I8 or SafetensorsDType.Bool
            or SafetensorsDType.F8E4M3 or SafetensorsDType.F8E5M2 or SafetensorsDType.F8E8M0 => 1,
        _ => throw Undefined(dtype),
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
        SafetensorsDType.I16 => "I16",
        SafetensorsDType.I8 => "I8",
        SafetensorsDType.U64 => "U64",
        SafetensorsDType.U32 => "U32",
        SafetensorsDType.U16 => "U16",
        SafetensorsDType.U8 => "U8",
        SafetensorsDType.Bool => "BOOL",
        SafetensorsDType.F8E4M3 => "F8_E4M3",
        SafetensorsDType.F8E5M2 => "F8_E5M2",
        SafetensorsDType.F8E8M0 => "F8_E8M0",
        _ => throw Undefined(dtype),
    };

    /// <summary>Parses a header code (case-sensitive, as the format requires) into a <see cref="SafetensorsDType"/>.</summary>
    /// <param name="code">The code read from a header, e.g. <c>"F32"</c>.</param>
    /// <param name="dtype">The parsed type, when the code is supported.</param>
    /// <returns><see langword="true"/> when <paramref name="code"/> is one of <see cref="SupportedCodes"/>.</returns>
    public static bool TryParseHeaderCode(string? code, out SafetensorsDType dtype)
    {
        foreach (var candidate in Enum.GetValues<SafetensorsDType>())
        {
            if (string.Equals(candidate.HeaderCode(), code, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    /// <summary>The tensor element type that holds <paramref name="dtype"/>, when libtorch has one.</summary>
    /// <param name="dtype">The safetensors dtype.</param>
    /// <param name="type">The tensor element type, when there is one.</param>
    /// <returns><see langword="false"/> for U16, U32, U64 and the 8-bit floats (no tensor element type in libtorch 1.13).</returns>
    public static bool TryGetScalarType(this SafetensorsDType dtype, out ScalarType type)
    {
        ScalarType? found = dtype switch
        {
            SafetensorsDType.F32 => ScalarType.Float32,
            SafetensorsDType.F64 => ScalarType.Float64,
            SafetensorsDType.BF16 => ScalarType.BFloat16,
            SafetensorsDType.F16 => ScalarType.Float16,
            SafetensorsDType.I64 => ScalarType.Int64,
            SafetensorsDType.I32 => ScalarType.Int32,
            SafetensorsDType.I16 => ScalarType.Int16,
            SafetensorsDType.I8 => ScalarType.Int8,
            SafetensorsDType.U8 => ScalarType.UInt8,
            SafetensorsDType.Bool => ScalarType.Bool,
            _ => null,
        };
        type = found.GetValueOrDefault();
        return found.HasValue;
    }

    /// <summary>The tensor element type of a safetensors dtype.</summary>
    /// <param name="dtype">The safetensors dtype.</param>
    /// <returns>The tensor element type.</returns>
    /// <exception cref="NotSupportedException">When the dtype has no tensor element type (U16, U32, U64, 8-bit floats).</exception>
    public static ScalarType ToScalarType(this SafetensorsDType dtype) =>
        dtype.TryGetScalarType(out var type) ? type : throw NoTensorType(dtype, null, null);

    /// <summary>The safetensors dtype of a tensor element type.</summary>
    /// <param name="type">The tensor element type.</param>
    /// <returns>The safetensors dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When the type is not a defined value.</exception>
    public static SafetensorsDType ToSafetensors(this ScalarType type) => type switch
    {
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.Float64 => SafetensorsDType.F64,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Float16 => SafetensorsDType.F16,
        ScalarType.Int64 => SafetensorsDType.I64,
        ScalarType.Int32 => SafetensorsDType.I32,
        ScalarType.Int16 => SafetensorsDType.I16,
        ScalarType.Int8 => SafetensorsDType.I8,
        ScalarType.UInt8 => SafetensorsDType.U8,
        ScalarType.Bool => SafetensorsDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "this element type has no safetensors dtype."),
    };

    /// <summary>The error for a dtype without a tensor element type, naming the file and tensor when known.</summary>
    internal static NotSupportedException NoTensorType(SafetensorsDType dtype, string? filePath, string? tensorName)
    {
        var where = filePath is null ? "" : $"safetensors file '{filePath}', tensor '{tensorName}': ";
        return new NotSupportedException(
            $"{where}dtype {dtype.HeaderCode()} has no tensor element type in this library (libtorch 1.13 has no unsigned 16/32/64-bit " +
            $"or 8-bit float tensors; tensors can be {TensorCodes}). Hint: read the raw bytes with SafetensorsFile.GetSpan/ReadBytes, " +
            "or convert the checkpoint to BF16/F16/F32 (e.g. in Python: {k: v.to(torch.bfloat16)}) before loading.");
    }

    private static ArgumentOutOfRangeException Undefined(SafetensorsDType dtype) =>
        new(nameof(dtype), dtype, $"Unknown safetensors dtype; supported: {SupportedCodes}.");
}
