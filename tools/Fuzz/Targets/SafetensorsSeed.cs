// The tensors of the safetensors seeds: one per readable dtype plus an unreadable one (U16), scalars and empty shapes.
using MaskedSft.Torch.Safetensors;

namespace MaskedSft.Tools.Fuzz.Targets;

/// <summary>Tensors written into the safetensors seeds.</summary>
internal static class SafetensorsSeed
{
    /// <summary>(name, dtype, shape) of the seed tensors; the data is a counter.</summary>
    public static readonly (string Name, SafetensorsDType DType, long[] Shape)[] Tensors =
    [
        ("embed.weight", SafetensorsDType.F32, [6, 4]),
        ("layer.0.weight", SafetensorsDType.BF16, [4, 4]),
        ("layer.0.bias", SafetensorsDType.F16, [4]),
        ("layer.1.weight", SafetensorsDType.F64, [2, 3]),
        ("positions", SafetensorsDType.I64, [5]),
        ("counts", SafetensorsDType.I32, [2, 2]),
        ("flags", SafetensorsDType.Bool, [3]),
        ("bytes", SafetensorsDType.U8, [7]),
        ("scalar", SafetensorsDType.F32, []),
        ("empty", SafetensorsDType.F32, [0, 3]),
        ("halfwords", SafetensorsDType.U16, [3]),
    ];

    /// <summary>Counter bytes of a tensor's size.</summary>
    public static byte[] Data(SafetensorsDType dtype, long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int size = dtype switch
        {
            SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
            SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
            SafetensorsDType.BF16 or SafetensorsDType.F16 or SafetensorsDType.U16 => 2,
            _ => 1,
        };
        var bytes = new byte[count * size];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = dtype == SafetensorsDType.Bool ? (byte)(i % 2) : (byte)(i * 7 + 3);
        return bytes;
    }

    /// <summary>Reads every tensor of an open file the way the loaders do: bytes, then a tensor of each readable dtype.</summary>
    public static void ReadAll(SafetensorsFile file)
    {
        foreach (var info in file.Tensors)
        {
            _ = file.GetInfo(info.Name);
            if (info.ByteLength < int.MaxValue) _ = file.GetSpan(info.Name).Length;
            if (info.DType is SafetensorsDType.U16 or SafetensorsDType.U32 or SafetensorsDType.U64 or SafetensorsDType.F8E4M3 or SafetensorsDType.F8E5M2 or SafetensorsDType.F8E8M0)
            {
                continue;
            }

            using var tensor = file.ReadTensor(info.Name);
        }
    }

    /// <summary>The exceptions the safetensors readers document for bad files.</summary>
    public static bool IsDocumented(Exception exception) => exception is SafetensorsFormatException or SafetensorsTensorException;
}
