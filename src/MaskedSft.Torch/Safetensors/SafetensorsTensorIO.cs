// Saves and loads dictionaries of named Tensors as safetensors files (the adapter between Tensor and the byte-level format).
using System.Buffers;

namespace MaskedSft.Torch.Safetensors;

/// <summary>
/// Reads and writes named <see cref="Tensor"/>s in the safetensors format, so checkpoints open with Python's
/// <c>safetensors.torch.load_file</c> and files from it load here. Tensors on any device and of any layout are written
/// as contiguous little-endian bytes (copied through the CPU one tensor at a time).
/// </summary>
public static class SafetensorsTensorIO
{
    /// <summary>The safetensors dtype of a tensor element type.</summary>
    /// <param name="type">The tensor element type.</param>
    /// <returns>The safetensors dtype.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When the type has no safetensors equivalent.</exception>
    public static SafetensorsDType ToSafetensors(this ScalarType type) => type switch
    {
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.Float64 => SafetensorsDType.F64,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Float16 => SafetensorsDType.F16,
        ScalarType.Int64 => SafetensorsDType.I64,
        ScalarType.Int32 => SafetensorsDType.I32,
        ScalarType.UInt8 => SafetensorsDType.U8,
        ScalarType.Bool => SafetensorsDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "this element type has no safetensors dtype."),
    };

    /// <summary>The tensor element type of a safetensors dtype.</summary>
    /// <param name="dtype">The safetensors dtype.</param>
    /// <returns>The tensor element type.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When the dtype is not a defined value.</exception>
    public static ScalarType ToScalarType(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => ScalarType.Float32,
        SafetensorsDType.F64 => ScalarType.Float64,
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.F16 => ScalarType.Float16,
        SafetensorsDType.I64 => ScalarType.Int64,
        SafetensorsDType.I32 => ScalarType.Int32,
        SafetensorsDType.U8 => ScalarType.UInt8,
        SafetensorsDType.Bool => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"unknown safetensors dtype; supported: {SafetensorsDTypeInfo.SupportedCodes}."),
    };

    /// <summary>Adds <paramref name="tensor"/> to <paramref name="writer"/>; its bytes are copied when the writer saves.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="name">The tensor name.</param>
    /// <param name="tensor">The tensor; it must stay alive and unchanged until the writer saves.</param>
    /// <returns>The writer.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the tensor's element type has no safetensors dtype.</exception>
    public static SafetensorsWriter AddTensor(this SafetensorsWriter writer, string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        var dtype = tensor.DType.ToSafetensors();
        var shape = tensor.Shape;
        return writer.AddFromCallback(name, dtype, shape, destination => CopyOut(tensor, destination));
    }

    /// <summary>Saves <paramref name="tensors"/> (and <paramref name="metadata"/>) to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The destination file.</param>
    /// <param name="tensors">Named tensors.</param>
    /// <param name="metadata">Optional string metadata (<c>__metadata__</c>).</param>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> or <paramref name="tensors"/> is null.</exception>
    /// <exception cref="ArgumentException">When a name is empty or reserved.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a tensor's element type has no safetensors dtype.</exception>
    /// <exception cref="IOException">When the file system fails.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in tensors)
        {
            writer.AddTensor(name, tensor);
        }

        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                writer.SetMetadata(key, value);
            }
        }

        writer.Save(path);
    }

    /// <summary>Loads every tensor of <paramref name="path"/>; the caller owns (and disposes) the tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Where to place the tensors (CPU when null).</param>
    /// <returns>The tensors by name, in file order.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When the file is malformed.</exception>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null) => Load(path, out _, device);

    /// <summary>Loads every tensor of <paramref name="path"/> and its metadata; the caller owns the tensors.</summary>
    /// <param name="path">The file.</param>
    /// <param name="metadata">The file's <c>__metadata__</c> map.</param>
    /// <param name="device">Where to place the tensors (CPU when null).</param>
    /// <returns>The tensors by name, in file order.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">When the file is malformed.</exception>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata, Device? device = null)
    {
        using var file = SafetensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in file.Tensors)
            {
                result[info.Name] = ReadTensor(file, info, device);
            }
        }
        catch
        {
            foreach (var t in result.Values)
            {
                t.Dispose();
            }

            throw;
        }

        metadata = new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
        return result;
    }

    /// <summary>Reads one tensor of an open file.</summary>
    /// <param name="file">The open file.</param>
    /// <param name="name">The tensor name.</param>
    /// <param name="device">Where to place it (CPU when null).</param>
    /// <returns>A new tensor with a copy of the data.</returns>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="KeyNotFoundException">When the file has no such tensor.</exception>
    public static Tensor ReadTensor(this SafetensorsFile file, string name, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        return ReadTensor(file, file.GetInfo(name), device);
    }

    private static Tensor ReadTensor(SafetensorsFile file, SafetensorsTensorInfo info, Device? device)
    {
        if (info.ByteLength > int.MaxValue)
        {
            throw new NotSupportedException(
                $"safetensors file '{file.FilePath}', tensor '{info.Name}': {info.ByteLength} bytes exceed the 2 GiB a single read supports; shard the checkpoint.");
        }

        return Tensor.FromBytes(file.GetSpan(info.Name), info.DType.ToScalarType(), info.Shape, device);
    }

    private static void CopyOut(Tensor tensor, Stream destination)
    {
        long bytes = tensor.NumberOfElements * tensor.DType.ToSafetensors().ElementSize();
        if (bytes == 0)
        {
            return;
        }

        if (bytes > int.MaxValue)
        {
            throw new NotSupportedException($"a tensor of {bytes} bytes exceeds the 2 GiB a single copy supports; shard the checkpoint.");
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            tensor.CopyToBytes(buffer.AsSpan(0, (int)bytes));
            destination.Write(buffer, 0, (int)bytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
