// Element types of tensors; the numeric values are libtorch's c10::ScalarType codes.
namespace MaskedSft.Torch;

/// <summary>The element type (dtype) of a tensor. Values equal libtorch's scalar type codes.</summary>
#pragma warning disable CA1028 // the codes are libtorch's
public enum ScalarType
#pragma warning restore CA1028
{
    /// <summary>8-bit unsigned integer (torch.uint8).</summary>
    UInt8 = 0,

    /// <summary>8-bit signed integer (torch.int8).</summary>
    Int8 = 1,

    /// <summary>16-bit signed integer (torch.int16).</summary>
    Int16 = 2,

    /// <summary>32-bit signed integer (torch.int32).</summary>
    Int32 = 3,

    /// <summary>64-bit signed integer (torch.int64), the dtype of indices and class targets.</summary>
    Int64 = 4,

    /// <summary>IEEE 754 half precision (torch.float16).</summary>
    Float16 = 5,

    /// <summary>32-bit float (torch.float32), the default.</summary>
    Float32 = 6,

    /// <summary>64-bit float (torch.float64).</summary>
    Float64 = 7,

    /// <summary>Boolean (torch.bool), one byte per element.</summary>
    Bool = 11,

    /// <summary>Brain floating point, 16 bits (torch.bfloat16); raw bits exchanged as <see cref="ushort"/>.</summary>
    BFloat16 = 15,
}
