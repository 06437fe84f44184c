// Saves and loads named float32/int64 tensors as safetensors (bridge between Tensor and the byte-level safetensors API).
using MaskedSft.Torch;
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.MLNet.Models;

/// <summary>Named tensors to and from safetensors files (float32, float64 and int64 tensors).</summary>
internal static class NamedTensorFile
{
    /// <summary>Writes tensors (copied to the CPU) and metadata atomically.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter();
        foreach (var (name, tensor) in tensors)
        {
            var dtype = tensor.DType switch
            {
                ScalarType.Float32 => SafetensorsDType.F32,
                ScalarType.Float64 => SafetensorsDType.F64,
                ScalarType.Int64 => SafetensorsDType.I64,
                var other => throw new NotSupportedException($"tensor '{name}' has dtype {other}; checkpoints hold float32, float64 and int64 tensors."),
            };
            var bytes = new byte[tensor.NumberOfElements * (dtype == SafetensorsDType.F32 ? 4 : 8)];
            tensor.CopyToBytes(bytes);
            writer.AddWithoutCopy(name, dtype, tensor.Shape, bytes);
        }

        if (metadata is not null)
        {
            foreach (var (k, v) in metadata) writer.SetMetadata(k, v);
        }

        writer.Save(path);
    }

    /// <summary>Copies a stored tensor into <paramref name="destination"/> (no autograd), checking dtype and shape.</summary>
    /// <exception cref="InvalidDataException">The tensor is missing or has another dtype or shape; the message names the file and tensor.</exception>
    public static void CopyInto(SafetensorsFile file, string name, Tensor destination)
    {
        if (!file.TryGetInfo(name, out var info))
        {
            throw new InvalidDataException($"{file.FilePath}: tensor '{name}' is missing. Hint: the file was written for another model configuration.");
        }

        var (expectedDType, scalar) = destination.DType switch
        {
            ScalarType.Float32 => (SafetensorsDType.F32, ScalarType.Float32),
            ScalarType.Float64 => (SafetensorsDType.F64, ScalarType.Float64),
            ScalarType.Int64 => (SafetensorsDType.I64, ScalarType.Int64),
            var other => throw new NotSupportedException($"cannot load tensor '{name}' into a {other} tensor."),
        };
        var shape = destination.Shape;
        if (info.DType != expectedDType || !info.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException(
                $"{file.FilePath}: tensor '{name}' is {info.DType} [{string.Join(", ", info.GetShapeArray())}] but {expectedDType} [{string.Join(", ", shape)}] was expected. " +
                "Hint: the file was written for another model configuration.");
        }

        using var scope = new DisposeScope();
        using var noGrad = new NoGradScope();
        var loaded = Tensor.FromBytes(file.GetSpan(name), scalar, shape, destination.Device);
        destination.CopyFrom(loaded);
    }

    /// <summary>Reads a stored tensor as a new tensor on a device.</summary>
    /// <exception cref="InvalidDataException">The tensor is missing or not float32/float64/int64.</exception>
    public static Tensor Read(SafetensorsFile file, string name, Device device)
    {
        if (!file.TryGetInfo(name, out var info))
        {
            throw new InvalidDataException($"{file.FilePath}: tensor '{name}' is missing.");
        }

        var scalar = info.DType switch
        {
            SafetensorsDType.F32 => ScalarType.Float32,
            SafetensorsDType.F64 => ScalarType.Float64,
            SafetensorsDType.I64 => ScalarType.Int64,
            var other => throw new InvalidDataException($"{file.FilePath}: tensor '{name}' is {other}; expected F32, F64 or I64."),
        };
        return Tensor.FromBytes(file.GetSpan(name), scalar, info.Shape, device);
    }
}
