// Tensors from a mapped safetensors file: one copy from the map straight into a new tensor or an existing one (a parameter),
// converting dtype and device on the way; the whole file is never copied.
namespace MaskedSft.Torch.Safetensors;

public sealed unsafe partial class SafetensorsFile
{
    /// <summary>
    /// Reads tensor <paramref name="name"/> into a new tensor: its bytes are copied once, from the map straight into the
    /// tensor on <paramref name="device"/>, converted to <paramref name="dtype"/> on the way when one is given.
    /// </summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="device">Where to place the tensor (CPU when null).</param>
    /// <param name="dtype">The element type of the result (the stored one when null), e.g. Float32 for a BF16 tensor.</param>
    /// <returns>A new tensor that owns its data; the caller disposes it (it joins the current <see cref="DisposeScope"/>).</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="name"/> is null.</exception>
    /// <exception cref="SafetensorsTensorException">When the file has no such tensor.</exception>
    /// <exception cref="NotSupportedException">When the stored dtype has no tensor element type (U16, U32, U64, 8-bit floats).</exception>
    /// <exception cref="TorchException">When the device is not available.</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public Tensor ReadTensor(string name, Device? device = null, ScalarType? dtype = null)
    {
        var (info, stored) = TensorEntry(name);
        var dev = device ?? Device.Cpu;
        IntPtr handle;
        fixed (long* shape = info.Shape)
        {
            handle = NativeMethods.msft_tensor_from_external(DataPointer(info), info.ByteLength, (int)stored, shape, info.Shape.Length,
                dtype is { } type ? (int)type : -1, (int)dev.Type, dev.Index);
        }

        GC.KeepAlive(this);
        return Tensor.WrapNew(handle, $"read safetensors tensor '{name}' ({info.DType.HeaderCode()} [{string.Join(", ", info.GetShapeArray())}]) " +
            $"of '{FilePath}' to {dev}{(dtype is { } t ? $" as {t}" : "")}");
    }

    /// <summary>
    /// Copies tensor <paramref name="name"/> into <paramref name="destination"/> (e.g. a model parameter) without autograd:
    /// one copy from the map straight into the destination's memory on its device. The shapes must be equal; the dtypes too,
    /// unless <paramref name="convertDType"/> allows converting on the way (e.g. BF16 on disk into a Float32 parameter).
    /// </summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">The tensor to overwrite (any device).</param>
    /// <param name="convertDType">Convert the stored element type to the destination's when they differ.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="SafetensorsTensorException">When the file has no such tensor, or its shape (or, without
    /// <paramref name="convertDType"/>, its dtype) differs from the destination's; the message names both.</exception>
    /// <exception cref="NotSupportedException">When the stored dtype has no tensor element type (U16, U32, U64, 8-bit floats).</exception>
    /// <exception cref="ObjectDisposedException">When the file was disposed.</exception>
    public void ReadInto(string name, Tensor destination, bool convertDType = false)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var (info, stored) = TensorEntry(name);
        var expected = destination.Shape;
        if (!info.Shape.SequenceEqual(expected))
        {
            throw new SafetensorsTensorException(name, [FilePath],
                $"shape [{string.Join(", ", info.GetShapeArray())}] on disk but the destination expects [{string.Join(", ", expected)}]",
                "the weights were written for another model configuration (compare the sizes in config.json with the file's)");
        }

        var target = destination.DType;
        if (!convertDType && target != stored)
        {
            throw new SafetensorsTensorException(name, [FilePath],
                $"dtype {info.DType.HeaderCode()} ({stored}) on disk but the destination is {target}",
                "pass convertDType: true to convert while copying, or create the destination with the stored dtype");
        }

        int status;
        fixed (long* shape = info.Shape)
        {
            status = NativeMethods.msft_tensor_copy_from_external(destination.Handle, DataPointer(info), info.ByteLength, (int)stored, shape, info.Shape.Length);
        }

        GC.KeepAlive(this);
        Tensor.Check(status, $"copy safetensors tensor '{name}' of '{FilePath}' into the destination", destination);
    }

    private (SafetensorsTensorInfo Info, ScalarType Stored) TensorEntry(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_byName.TryGetValue(name, out var info))
        {
            throw SafetensorsTensorException.Missing(name, [FilePath], _byName.Keys);
        }

        if (!info.DType.TryGetScalarType(out var stored))
        {
            throw SafetensorsDTypeInfo.NoTensorType(info.DType, FilePath, name);
        }

        return (info, stored);
    }

    private byte* DataPointer(SafetensorsTensorInfo info) => _base + DataOffset + info.DataBegin;
}
