// The element types a safetensors file can hold, as spelled in the header ("F32", "BF16", "F8_E4M3", ...).
namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Element type of a tensor stored in a safetensors file: every whole-byte type of the format. The header spells each
/// value as its upper-case code (<c>F32</c>, <c>BF16</c>, <c>F8_E4M3</c>, ...); see <see cref="SafetensorsDTypeInfo"/> for
/// the codes, element sizes and the tensor element types they map to. Every type can be read and written as raw bytes;
/// <see cref="U16"/>, <see cref="U32"/>, <see cref="U64"/> and the 8-bit floats have no tensor element type in libtorch
/// 1.13, so reading them as tensors raises <see cref="NotSupportedException"/>.
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

    /// <summary>16-bit signed integer, header code <c>I16</c>.</summary>
    I16,

    /// <summary>8-bit signed integer, header code <c>I8</c>.</summary>
    I8,

    /// <summary>16-bit unsigned integer, header code <c>U16</c> (raw bytes only: no tensor element type).</summary>
    U16,

    /// <summary>32-bit unsigned integer, header code <c>U32</c> (raw bytes only: no tensor element type).</summary>
    U32,

    /// <summary>64-bit unsigned integer, header code <c>U64</c> (raw bytes only: no tensor element type).</summary>
    U64,

    /// <summary>8-bit float with 4 exponent and 3 mantissa bits, header code <c>F8_E4M3</c> (raw bytes only).</summary>
    F8E4M3,

    /// <summary>8-bit float with 5 exponent and 2 mantissa bits, header code <c>F8_E5M2</c> (raw bytes only).</summary>
    F8E5M2,

    /// <summary>8-bit exponent-only scale (MX formats), header code <c>F8_E8M0</c> (raw bytes only).</summary>
    F8E8M0,
}
