// A device (CPU or CUDA with an index), with CUDA discovery and Device.Auto.
using System.Globalization;

namespace MaskedSft.Torch;

/// <summary>Where a tensor lives: the CPU or one CUDA GPU.</summary>
public readonly record struct Device
{
    // Only compared fields: the CPU has index 0 internally so that default(Device) equals Device.Cpu.
    private readonly int _cudaIndex;

    private Device(DeviceType type, int index)
    {
        Type = type;
        _cudaIndex = type == DeviceType.Cuda ? index : 0;
    }

    /// <summary>The host CPU.</summary>
    public static Device Cpu { get; } = new(DeviceType.Cpu, -1);

    /// <summary>The first CUDA device when CUDA is available, else the CPU.</summary>
    public static Device Auto => IsCudaAvailable ? Cuda(0) : Cpu;

    /// <summary>True when libtorch has CUDA support and sees at least one GPU.</summary>
    public static bool IsCudaAvailable
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_cuda_is_available() != 0;
        }
    }

    /// <summary>Number of visible CUDA devices (0 without CUDA).</summary>
    public static int CudaDeviceCount
    {
        get
        {
            NativeMethods.EnsureLoaded();
            return NativeMethods.msft_cuda_device_count();
        }
    }

    /// <summary>The kind of device.</summary>
    public DeviceType Type { get; }

    /// <summary>The CUDA device index; -1 for the CPU.</summary>
    public int Index => IsCpu ? -1 : _cudaIndex;

    /// <summary>True for the CPU.</summary>
    public bool IsCpu => Type == DeviceType.Cpu;

    /// <summary>True for a CUDA device.</summary>
    public bool IsCuda => Type == DeviceType.Cuda;

    /// <summary>A CUDA device. Using it without CUDA raises a <see cref="TorchException"/> that says so.</summary>
    /// <param name="index">The device index, from 0.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static Device Cuda(int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new Device(DeviceType.Cuda, index);
    }

    /// <summary>Parses "cpu", "cuda", "cuda:N" or "auto".</summary>
    /// <param name="text">The device name.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException">The text is not a device name.</exception>
    public static Device Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "cpu")
        {
            return Cpu;
        }

        if (t == "auto")
        {
            return Auto;
        }

        if (t == "cuda")
        {
            return Cuda(0);
        }

        if (t.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return Cuda(index);
        }

        throw new FormatException($"'{text}' is not a device; use cpu, cuda, cuda:N or auto");
    }

    /// <summary>"cpu" or "cuda:N".</summary>
    /// <returns>The device name.</returns>
    public override string ToString() =>
        IsCpu ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cuda:{Index}");

    /// <summary>The device of a native (type, index) pair.</summary>
    internal static Device FromNative(int type, int index) => type switch
    {
        0 => Cpu,
        1 => Cuda(Math.Max(index, 0)),
        _ => throw new NotSupportedException($"the tensor lives on an unsupported device type ({type})"),
    };
}
