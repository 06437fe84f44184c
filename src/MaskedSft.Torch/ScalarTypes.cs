// Helpers over ScalarType: element sizes, names, floating-point test, and the mapping from .NET element types.
namespace MaskedSft.Torch;

/// <summary>Properties of <see cref="ScalarType"/> values and their .NET element types.</summary>
public static class ScalarTypes
{
    /// <summary>Bytes per element of a dtype.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined dtype.</exception>
    public static int ElementSize(this ScalarType dtype) => dtype switch
    {
        ScalarType.UInt8 or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for Float16, BFloat16, Float32 and Float64.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>Whether the dtype is a floating-point type.</returns>
    public static bool IsFloatingPoint(this ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>The dtype that holds elements of the .NET type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float, double, long, int, short, byte, sbyte, bool, Half, or ushort (raw bfloat16 bits).</typeparam>
    /// <returns>The matching dtype.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no tensor dtype.</exception>
    public static ScalarType Of<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return ScalarType.Float32;
        }

        if (typeof(T) == typeof(double))
        {
            return ScalarType.Float64;
        }

        if (typeof(T) == typeof(long))
        {
            return ScalarType.Int64;
        }

        if (typeof(T) == typeof(int))
        {
            return ScalarType.Int32;
        }

        if (typeof(T) == typeof(short))
        {
            return ScalarType.Int16;
        }

        if (typeof(T) == typeof(byte))
        {
            return ScalarType.UInt8;
        }

        if (typeof(T) == typeof(sbyte))
        {
            return ScalarType.Int8;
        }

        if (typeof(T) == typeof(bool))
        {
            return ScalarType.Bool;
        }

        if (typeof(T) == typeof(Half))
        {
            return ScalarType.Float16;
        }

        if (typeof(T) == typeof(ushort))
        {
            return ScalarType.BFloat16;
        }

        throw new NotSupportedException(
            $"{typeof(T).Name} has no tensor dtype; use float, double, long, int, short, byte, sbyte, bool, Half or ushort (bfloat16 bits)");
    }
}
