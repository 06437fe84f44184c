// One entry of a safetensors header: name, dtype, shape and the byte range of its data.
namespace MaskedSft.Torch.Safetensors;

/// <summary>A tensor entry of a safetensors file: its name, element type, shape and where its bytes lie.</summary>
public sealed class SafetensorsTensorInfo
{
    private readonly long[] _shape;

    internal SafetensorsTensorInfo(string name, SafetensorsDType dtype, long[] shape, long dataBegin, long dataEnd)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }

        ElementCount = count;
    }

    /// <summary>The tensor's name (its header key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>The shape, outermost dimension first; empty for a scalar.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>A copy of the shape as an array.</summary>
    /// <returns>A new array with the dimensions.</returns>
    public long[] GetShapeArray() => (long[])_shape.Clone();

    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Start of the tensor's bytes, relative to the start of the data section.</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the start of the data section.</summary>
    public long DataEnd { get; }

    /// <summary>Number of bytes of the tensor's data.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {DType.HeaderCode()} [{string.Join(", ", _shape)}] @[{DataBegin}, {DataEnd})";
}
