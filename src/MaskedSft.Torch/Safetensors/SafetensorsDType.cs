// The element types a safetensors file of this library can hold, as spelled in the header ("F32", "BF16", ...).
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Element type of a tensor stored in a safetensors file. The header spells each value as its upper-case
/// code (<c>F32</c>, <c>F64</c>, <c>BF16</c>, <c>F16</c>, <c>I64</c>, <c>I32</c>, <c>U8</c>, <c>BOOL</c>);
/// see <see cref="SafetensorsDTypeInfo"/> for the codes and element sizes.
/// </summary>
public enum SafetensorsDType
{
    /// <summary>32-bit IEEE float, header code <c>F32</c>.</summary>
    F32,

    /// <summary>64-bit IEEE float, header code <c>F64</c>.</summary>
    F64,

    /// <summary>bfloat16 (the upper 16 bits of an IEEE float32), header code <c>BF16</c>.</summary>
    BF16,

    /// <summary>16-bit IEEE half float, header code <c>F16</c>.</summary>
    F16,

    /// <summary>64-bit signed integer, header code <c>I64</c>.</summary>
    I64,

    /// <summary>32-bit signed integer, header code <c>I32</c>.</summary>
    I32,

    /// <summary>8-bit unsigned integer, header code <c>U8</c>.</summary>
    U8,

    /// <summary>Boolean stored as one byte (0 or 1), header code <c>BOOL</c>.</summary>
    Bool,
}
