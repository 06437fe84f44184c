// Kinds of devices a tensor can live on.
namespace MaskedSft.Torch;

/// <summary>The kind of a <see cref="Device"/>.</summary>
public enum DeviceType
{
    /// <summary>Host memory.</summary>
    Cpu = 0,

    /// <summary>An NVIDIA GPU through CUDA.</summary>
    Cuda = 1,
}
